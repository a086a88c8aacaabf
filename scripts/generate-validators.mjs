// Generates src/app/validators/generated/istio.js: standalone ajv validators for VirtualService and
// DestinationRule (networking.istio.io v1beta1 and v1alpha3), compiled at build time from the very
// schemas @kubernetes-models/istio ships, with the ajv (and ajv-formats) that package validates with and
// the same ajv options, so that `validateSchema` gives the library's verdicts without compiling schemas
// at run time. The output is one self-contained ES module (ajv's runtime helpers and the formats are
// bundled in); its types are the checked-in stub src/app/validators/generated/istio.d.ts.
//
//   node scripts/generate-validators.mjs          (run by scripts/build.mjs)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outFile = join(root, 'src/app/validators/generated/istio.js');

/** The folder of package `name` as `req` resolves it (packages with an `exports` map hide package.json). */
function packageDir(req, name) {
  let dir = dirname(req.resolve(name));
  while (!(existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === name)) {
    if (dirname(dir) === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = dirname(dir);
  }
  return dir;
}

// Resolve everything from the packages the library itself uses, so the versions are the library's.
const rootRequire = createRequire(join(root, 'package.json'));
const istioDir = packageDir(rootRequire, '@kubernetes-models/istio');
const istioRequire = createRequire(join(istioDir, 'package.json'));
const validateDir = packageDir(istioRequire, '@kubernetes-models/validate');
const validateRequire = createRequire(join(validateDir, 'package.json'));
const Ajv = validateRequire('ajv').default;
const { _ } = validateRequire('ajv');
const standaloneCode = validateRequire('ajv/dist/standalone').default;
const addFormats = validateRequire('ajv-formats').default;
const addDraft2019Formats = validateRequire('ajv-formats-draft2019');
const ajvVersion = validateRequire('ajv/package.json').version;

/** The models to precompile: export name -> model file (CommonJS build of @kubernetes-models/istio). */
const MODELS = {
  virtualServiceV1beta1: 'networking.istio.io/v1beta1/VirtualService.js',
  virtualServiceV1alpha3: 'networking.istio.io/v1alpha3/VirtualService.js',
  destinationRuleV1beta1: 'networking.istio.io/v1beta1/DestinationRule.js',
  destinationRuleV1alpha3: 'networking.istio.io/v1alpha3/DestinationRule.js',
};

// Collect the schemas the models register: the models call `register(id, schema)` of
// @kubernetes-models/validate when validated; a stand-in module records them instead of compiling.
const schemas = new Map();
let lastId;
const recorder = {
  register(id, schema) {
    if (!schemas.has(id)) schemas.set(id, schema);
    lastId = id;
  },
  validate() {},
};
const resolvedValidate = new Set([istioRequire.resolve('@kubernetes-models/validate')]);
const apimachineryDir = packageDir(istioRequire, '@kubernetes-models/apimachinery');
resolvedValidate.add(createRequire(join(apimachineryDir, 'package.json')).resolve('@kubernetes-models/validate'));
for (const path of resolvedValidate) {
  rootRequire.cache[path] = { id: path, filename: path, loaded: true, exports: recorder, children: [], paths: [] };
}
const ids = {};
for (const [name, file] of Object.entries(MODELS)) {
  const mod = istioRequire(join(istioDir, file));
  const Model = Object.values(mod).find((v) => typeof v === 'function');
  lastId = undefined;
  new Model({}).validate();
  if (lastId === undefined) throw new Error(`${file} registered no schema`);
  ids[name] = lastId;
}

// The library's ajv instance, option for option (node_modules/@kubernetes-models/validate/dist/index.node.mjs),
// plus `code` options to emit source; but `verbose` is off: it copies the schema into every error the
// code can raise, a third of the code (which every cold shift compiles, issue 10). The one use of it,
// finding the `{type: null}` branch of a failed `oneOf`, is answered by NULL_BRANCHES below instead.
const ajv = new Ajv({
  strictTypes: false,
  allErrors: true,
  code: { source: true, esm: true, formats: _`__istiopsFormats` },
});
addFormats(ajv);
addDraft2019Formats(ajv);
const CUSTOM_FORMATS = `
const rBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const rSignedNumber = /[+-]?(?:\\d+|\\d+\\.\\d+|\\d+\\.|\\.\\d+)/;
const rBinarySI = /[KMGTPE]i/;
const rDecimalSI = /(?:[YZEPTGMkhdcmunpfazy]|da)/;
const rDecimalExponent = new RegExp(\`[eE]\${rSignedNumber.source}\`);
const rQuantitySuffix = new RegExp(\`(?:\${rBinarySI.source}|\${rDecimalSI.source}|\${rDecimalExponent.source})?\`);
const rQuantity = new RegExp(\`^\${rSignedNumber.source}\${rQuantitySuffix.source}$\`);
const customFormats = {
  byte: { type: 'string', validate: (value) => rBase64.test(value) },
  quantity: { type: 'string', validate: rQuantity },
  string: { type: 'string', validate: (value) => typeof value === 'string' },
};
`;
// Same definitions at generation time (evaluated here) and at run time (emitted below).
const customFormats = new Function(`${CUSTOM_FORMATS}; return customFormats;`)();
for (const [name, def] of Object.entries(customFormats)) ajv.addFormat(name, def);
for (const [id, schema] of schemas) ajv.addSchema(schema, id);

const code = standaloneCode(ajv, ids);

// For every `oneOf` with a `{type: null}` branch: its schemaPath as ajv reports it (a JSON pointer from
// the root of the schema resource that holds it) -> the branch's index.
const nullBranches = {};
const visit = (node, pointer) => {
  if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${pointer}/${i}`));
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node.oneOf)) {
    const index = node.oneOf.findIndex((branch) => branch !== null && typeof branch === 'object' && branch.type === 'null');
    const path = `#${pointer}/oneOf`;
    if (index > -1) {
      if (path in nullBranches && nullBranches[path] !== index) throw new Error(`${path}: null branches ${nullBranches[path]} and ${index} in two schemas`);
      nullBranches[path] = index;
    }
  }
  for (const [key, value] of Object.entries(node)) visit(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
};
for (const schema of schemas.values()) visit(schema, '');

// Formats referenced by the generated code must be available at run time: ajv-formats' full set and ours.
const { fullFormats } = validateRequire('ajv-formats/dist/formats');
const used = new Set([...code.matchAll(/__istiopsFormats(?:\.([A-Za-z_$][\w$]*)|\["([^"]+)"\])/g)].map((m) => m[1] ?? m[2]));
for (const f of used) {
  if (!(f in customFormats) && !(f in fullFormats)) throw new Error(`format ${f} is used by the schemas but not available at run time`);
}

const source = `import { fullFormats as __fullFormats } from 'ajv-formats/dist/formats';
export const NULL_BRANCHES = ${JSON.stringify(nullBranches)};
${CUSTOM_FORMATS}
const __istiopsFormats = { ...__fullFormats, ...customFormats };
${code}
`;
const result = await build({
  stdin: { contents: source, resolveDir: validateDir, sourcefile: 'istio-validators.mjs', loader: 'js' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
mkdirSync(dirname(outFile), { recursive: true });
const header =
  `// GENERATED by scripts/generate-validators.mjs from @kubernetes-models/istio's schemas with ajv ${ajvVersion}: do not edit.\n` +
  `// Schemas: ${Object.entries(ids).map(([k, v]) => `${k}=${v}`).join(', ')}\n`;
writeFileSync(outFile, header + result.outputFiles[0].text);
console.log(`generated ${outFile.slice(root.length)} (${(result.outputFiles[0].contents.length / 1024).toFixed(0)} KiB, ajv ${ajvVersion}, formats: ${[...used].sort().join(', ')})`);
