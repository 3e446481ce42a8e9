// The OpenAPI document as a test oracle: checks one real exchange (request
// and response) against the operation it documents, and records which
// operations and statuses the test exercised.
//
// A response must have a documented status; every required header of that
// response must be there and match its schema; its Content-Type must be one
// of the documented media types; a JSON body must validate against the schema
// (Ajv, JSON Schema 2020-12, formats checked). Response schemas are validated
// strictly: an object schema that lists `properties` and says nothing about
// other properties gets `unevaluatedProperties: false` here (not in the
// document), so a field the server sends but the document omits fails too.
//
// A request is checked the other way round: one the server accepts (2xx,
// 3xx) must validate against the operation's parameters and request body,
// and one the server refuses with 400 must not, unless the caller says that
// the schema cannot tell (a range, a cursor, an order of checks).
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const OPENAPI_KEYWORDS = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'tags', 'paths', 'components',
    'webhooks', 'security', 'externalDocs'];
const COMPOSITION = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else'];
const DOC_ID = 'https://beacon.dev/openapi.json';

const escapePointer = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function makeAjv(doc) {
    const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
    addFormats(ajv);
    // OpenAPI's format registry: int32/int64 bound integers (the schemas say
    // minimum/maximum too), binary marks octets that are never validated.
    ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
    ajv.addFormat('binary', () => true);
    ajv.addVocabulary(OPENAPI_KEYWORDS);
    ajv.addSchema({ ...doc, $id: DOC_ID });
    return ajv;
}

// Closes object schemas (see the top of the file). Schemas inside a
// composition are left open: their siblings may declare the other properties.
function closeObjects(node, inComposition = false) {
    if (Array.isArray(node)) {
        node.forEach((n) => closeObjects(n, inComposition));
        return;
    }
    if (node === null || typeof node !== 'object') {
        return;
    }
    if (node.properties && !inComposition && !('additionalProperties' in node) && !('unevaluatedProperties' in node)) {
        node.unevaluatedProperties = false;
    }
    for (const [key, value] of Object.entries(node)) {
        if (key === 'properties' || key === 'patternProperties' || key === '$defs') {
            Object.values(value).forEach((v) => closeObjects(v, false));
        } else if (COMPOSITION.includes(key)) {
            closeObjects(value, true);
        } else if (key === 'items' || key === 'prefixItems' || key === 'additionalProperties' || key === 'schema') {
            closeObjects(value, false);
        } else if (typeof value === 'object' && key !== 'examples' && key !== 'default' && key !== 'const' && key !== 'enum') {
            // OpenAPI structure around schemas (paths, responses, content, components...).
            closeObjects(value, inComposition);
        }
    }
}

export class Contract {
    constructor(file) {
        this.text = readFileSync(file, 'utf8');
        this.doc = JSON.parse(this.text);
        const strict = structuredClone(this.doc);
        closeObjects(strict.paths);
        closeObjects(strict.components);
        this.responseAjv = makeAjv(strict);
        this.requestAjv = makeAjv(this.doc);
        this.validators = new Map();
        this.seen = new Map(); // "METHOD /template" -> Set of statuses
        // Responses that wrote a number in exponent notation (`2E0`).
        this.exponents = [];
    }

    // Follows a `$ref` to components; returns [object, its JSON pointer].
    resolve(obj, pointer) {
        let seen = 0;
        while (obj && obj.$ref) {
            if (++seen > 10 || !obj.$ref.startsWith('#/')) {
                throw new Error(`unresolvable $ref ${obj.$ref}`);
            }
            const target = obj.$ref;
            obj = target.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
                .reduce((o, k) => (o === undefined ? undefined : o[k]), this.doc);
            pointer = target;
            if (obj === undefined) {
                throw new Error(`dangling $ref ${target}`);
            }
        }
        return [obj, pointer];
    }

    validator(ajv, pointer) {
        const key = `${ajv === this.responseAjv ? 'res' : 'req'} ${pointer}`;
        if (!this.validators.has(key)) {
            this.validators.set(key, ajv.compile({ $ref: `${DOC_ID}${pointer}` }));
        }
        return this.validators.get(key);
    }

    validate(ajv, pointer, value) {
        const v = this.validator(ajv, pointer);
        if (v(value)) {
            return null;
        }
        return v.errors.map((e) => {
            const detail = e.params?.unevaluatedProperty ?? e.params?.missingProperty ?? e.params?.allowedValues ?? e.params?.pattern;
            return `${e.instancePath || '(root)'} ${e.message}${detail !== undefined ? `: ${JSON.stringify(detail)}` : ''}`;
        }).join('; ');
    }

    // The operation object and its pointer, for "GET /admin/versions/{id}".
    // HEAD on a path without a documented `head` is its GET without a body.
    operation(op) {
        const [method, path] = op.split(' ');
        const item = this.doc.paths[path];
        if (!item) {
            throw new Error(`${op}: the document has no path ${path}`);
        }
        let m = method.toLowerCase();
        if (m === 'head' && !item.head) {
            m = 'get';
        }
        if (!item[m]) {
            throw new Error(`${op}: the document has no ${method} on ${path}`);
        }
        return { item, operation: item[m], pointer: `#/paths/${escapePointer(path)}/${m}` };
    }

    // Parameters that apply to an operation (path item's, then its own), resolved.
    parameters(item, operation, pointer) {
        const out = new Map();
        const pathPointer = pointer.slice(0, pointer.lastIndexOf('/'));
        (item.parameters ?? []).forEach((p, i) => {
            const [param, ptr] = this.resolve(p, `${pathPointer}/parameters/${i}`);
            out.set(`${param.in}:${param.name.toLowerCase()}`, { param, ptr });
        });
        (operation.parameters ?? []).forEach((p, i) => {
            const [param, ptr] = this.resolve(p, `${pointer}/parameters/${i}`);
            out.set(`${param.in}:${param.name.toLowerCase()}`, { param, ptr });
        });
        return [...out.values()];
    }

    // Reasons the request does not validate against the document (empty: it does).
    requestProblems(op, req) {
        const { item, operation, pointer } = this.operation(op);
        const problems = [];
        const url = new URL(req.path, 'http://x');
        const templateSegs = op.split(' ')[1].split('/');
        const pathSegs = url.pathname.split('/');
        const pathValues = {};
        templateSegs.forEach((seg, i) => {
            if (seg.startsWith('{')) {
                const raw = pathSegs[i] ?? '';
                try {
                    pathValues[seg.slice(1, -1)] = decodeURIComponent(raw);
                } catch {
                    pathValues[seg.slice(1, -1)] = raw; // bad percent-encoding: checked as sent
                }
            }
        });
        const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
        for (const { param, ptr } of this.parameters(item, operation, pointer)) {
            let value;
            if (param.in === 'path') {
                value = pathValues[param.name];
            } else if (param.in === 'query') {
                value = url.searchParams.has(param.name) ? url.searchParams.get(param.name) : undefined;
            } else if (param.in === 'header') {
                value = headers[param.name.toLowerCase()];
            }
            if (value === undefined) {
                if (param.required) {
                    problems.push(`${param.in} parameter ${param.name} is required`);
                }
                continue;
            }
            // Query, path and header values are text: try it as text, number and boolean.
            const candidates = [value];
            if (/^-?[0-9]+(\.[0-9]+)?$/.test(value)) {
                candidates.push(Number(value));
            }
            if (value === 'true' || value === 'false') {
                candidates.push(value === 'true');
            }
            const errors = candidates.map((c) => this.validate(this.requestAjv, `${ptr}/schema`, c));
            if (errors.every((e) => e !== null)) {
                problems.push(`${param.in} parameter ${param.name}=${JSON.stringify(value)}: ${errors[0]}`);
            }
        }
        if (operation.requestBody) {
            const [body, bodyPtr] = this.resolve(operation.requestBody, `${pointer}/requestBody`);
            const media = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
            if (req.body === undefined) {
                if (body.required) {
                    problems.push('the request body is required');
                }
            } else if (!body.content[media]) {
                problems.push(`request Content-Type ${media || '(none)'} is not documented`);
            } else if (media === 'application/json' && !req.gzip) {
                let value;
                try {
                    value = JSON.parse(Buffer.from(req.body).toString('utf8'));
                } catch {
                    problems.push('the request body is not JSON');
                }
                if (value !== undefined) {
                    const error = this.validate(this.requestAjv, `${bodyPtr}/content/${escapePointer(media)}/schema`, value);
                    if (error) {
                        problems.push(`request body: ${error}`);
                    }
                }
            }
        }
        return problems;
    }

    // Problems of a response to `op` (empty: it matches the document).
    responseProblems(op, method, res) {
        const { operation, pointer } = this.operation(op);
        const status = String(res.status);
        const documented = operation.responses[status];
        if (!documented) {
            return [`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
        }
        const [response, responsePtr] = this.resolve(documented, `${pointer}/responses/${status}`);
        return this.matchResponse(response, responsePtr, method, res);
    }

    // Problems of `res` against a response object (used directly for the
    // answers no single operation documents: 404 for unknown paths, 405, 431).
    matchResponse(response, responsePtr, method, res) {
        const problems = [];
        for (const [name, h] of Object.entries(response.headers ?? {})) {
            const [header, headerPtr] = this.resolve(h, `${responsePtr}/headers/${escapePointer(name)}`);
            const value = res.headers[name.toLowerCase()];
            if (value === undefined) {
                if (header.required) {
                    problems.push(`header ${name} is missing`);
                }
                continue;
            }
            const text = Array.isArray(value) ? value.join(', ') : value;
            const candidates = [text];
            if (/^[0-9]+$/.test(text)) {
                candidates.push(Number(text));
            }
            const errors = candidates.map((c) => this.validate(this.responseAjv, `${headerPtr}/schema`, c));
            if (errors.every((e) => e !== null)) {
                problems.push(`header ${name}: ${JSON.stringify(text)}: ${errors[0]}`);
            }
        }
        const contentType = res.headers['content-type'];
        const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
        const head = method === 'HEAD';
        if (!response.content) {
            if (res.body.length !== 0) {
                problems.push(`a body of ${res.body.length} bytes where the document has none`);
            }
            return problems;
        }
        if (!response.content[media]) {
            problems.push(`Content-Type ${contentType ?? '(none)'} is not one of ${Object.keys(response.content).join(', ')}`);
            return problems;
        }
        if (head) {
            if (res.body.length !== 0) {
                problems.push('HEAD answered with a body');
            }
            return problems;
        }
        const length = res.headers['content-length'];
        if (length !== undefined && Number(length) !== res.body.length) {
            problems.push(`Content-Length ${length} but ${res.body.length} bytes of body`);
        }
        const schemaPtr = `${responsePtr}/content/${escapePointer(media)}/schema`;
        if (media === 'application/json' || media.endsWith('+json')) {
            let value;
            try {
                value = JSON.parse(res.body.toString('utf8'));
            } catch (e) {
                problems.push(`the body is not JSON: ${e.message}`);
                return problems;
            }
            // API.md 1.1: plain decimals only. Collected apart (see exponents).
            const numbers = res.body.toString('utf8').replace(/"(?:[^"\\]|\\.)*"/g, '""');
            const exponent = numbers.match(/[0-9][eE][+-]?[0-9]+/);
            if (exponent) {
                this.exponents.push(`${method} ${responsePtr}: ${exponent[0]} in ${res.body.subarray(0, 200).toString('utf8')}`);
            }
            const error = this.validate(this.responseAjv, schemaPtr, value);
            if (error) {
                problems.push(`body: ${error}`);
            }
        } else if (media.startsWith('text/')) {
            const error = this.validate(this.responseAjv, schemaPtr, res.body.toString('utf8'));
            if (error) {
                problems.push(`body: ${error}`);
            }
        }
        return problems;
    }

    record(op, status) {
        if (!this.seen.has(op)) {
            this.seen.set(op, new Set());
        }
        this.seen.get(op).add(String(status));
    }

    // Every operation of the document, as "METHOD /template".
    operations() {
        const out = [];
        for (const [path, item] of Object.entries(this.doc.paths)) {
            for (const m of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
                if (item[m]) {
                    out.push(`${m.toUpperCase()} ${path}`);
                }
            }
        }
        return out;
    }

    // The methods that a request target (a path of the document, with
    // placeholders filled by `fill`) is served by, as the server's Allow
    // header should list them: those of every documented path it matches, a
    // template matching one non-empty segment per placeholder
    // (`/admin/versions/upload` is also an `/admin/versions/{id}`).
    allowed(target) {
        const segs = target.split('/');
        const methods = new Set();
        for (const [path, item] of Object.entries(this.doc.paths)) {
            const tpl = path.split('/');
            const matches = tpl.length === segs.length &&
                tpl.every((t, i) => (t.startsWith('{') ? segs[i] !== '' : t === segs[i]));
            if (!matches) {
                continue;
            }
            for (const m of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
                if (item[m]) {
                    methods.add(m.toUpperCase());
                }
            }
        }
        if (methods.has('GET')) {
            methods.add('HEAD');
        }
        return methods;
    }
}
