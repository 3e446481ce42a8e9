// Validates an OpenAPI document against the OpenAPI Initiative's JSON Schema
// of its version (3.1 here), with @seriousme/openapi-schema-validator: a
// second validator, independent of Redocly's, that also resolves every $ref.
// Usage: node validate.mjs FILE. Exit 1, with the errors, when invalid.
import { Validator } from '@seriousme/openapi-schema-validator';

const file = process.argv[2];
const validator = new Validator();
const result = await validator.validate(file);
if (!result.valid) {
    console.error(`${file}: not a valid OpenAPI ${validator.version ?? ''} document`);
    console.error(JSON.stringify(result.errors, null, 2));
    process.exit(1);
}
console.log(`${file}: valid OpenAPI ${validator.version} (@seriousme/openapi-schema-validator)`);
