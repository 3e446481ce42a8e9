// The message catalogs, key by key: English and Simplified Chinese have the
// same keys, each with the same {placeholders}, and no empty text.
//   node console/tests/catalogs.test.cjs
'use strict';
const path = require('path');
const en = require(path.join(__dirname, '..', 'src', 'i18n', 'en.json'));
const zh = require(path.join(__dirname, '..', 'src', 'i18n', 'zh.json'));

const failures = [];
const vars = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
for (const k of Object.keys(en)) {
    if (!(k in zh)) failures.push(`zh.json lacks ${k}`);
    else if (vars(en[k]) !== vars(zh[k])) failures.push(`${k}: placeholders differ: en {${vars(en[k])}} zh {${vars(zh[k])}}`);
    if (!en[k].trim()) failures.push(`en.json: ${k} is empty`);
}
for (const k of Object.keys(zh)) {
    if (!(k in en)) failures.push(`en.json lacks ${k}`);
    if (!zh[k].trim()) failures.push(`zh.json: ${k} is empty`);
}
// No text in components: a JSX text node of letters is a string outside the
// catalogs (brand and language names aside, which read the same everywhere).
const fs = require('fs');
const kAllowed = new Set(['English', '简体中文']);
function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            walk(p);
        }
        else if (p.endsWith('.tsx')) {
            const text = fs.readFileSync(p, 'utf8');
            for (const m of text.matchAll(/>([^<>{}]*[A-Za-z\u4e00-\u9fff]{2,}[^<>{}]*)<\//g)) {
                const s = m[1].trim();
                if (s && !kAllowed.has(s) && !/[=;()]/.test(s)) failures.push(`${path.relative(dir, p)}: text outside the catalogs: "${s}"`);
            }
        }
    }
}
walk(path.join(__dirname, '..', 'src'));
if (failures.length) {
    console.error(failures.join('\n'));
    process.exit(1);
}
console.log(`catalogs: ${Object.keys(en).length} keys in both languages, placeholders alike`);
