/**
 * The layering of src/, checked against folder names (src/api, src/domain, src/infrastructure)
 * rather than today's files. The import rules live in .dependency-cruiser.cjs; this test runs
 * dependency-cruiser once over the sources (test files included, so that it knows who imports
 * what; the rules leave *.test.ts out as importers) and gives each rule its own `it`.
 * dependency-cruiser is ESM only and jest runs CommonJS here, so the cruise runs in a child node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..');
const CONFIG = '.dependency-cruiser.cjs';
/** Where importers of src/ can live: src/ itself and everything else that tsconfig.json compiles. */
const CRUISE_ROOTS = ['src', 'test', 'bench', 'scripts', 'migrations', 'ormconfig.ts'];
const LAYERS = ['src/api', 'src/domain', 'src/infrastructure'];
const isTest = (file: string): boolean => /\.test\.ts$/.test(file) || file.startsWith('test/');

type Edge = { name: string; dependencyTypes: string[] };
type Violation = { rule: { name: string }; from: string; to: string; cycle?: Edge[] };
type Dependency = { module: string; resolved: string; couldNotResolve: boolean };
type Module = { source: string; dependencies: Dependency[]; dependents?: string[] };
type CruiseResult = {
  modules: Module[];
  summary: { violations: Violation[]; ruleSetUsed: { forbidden?: Array<{ name: string; comment?: string }> } };
};

let result: CruiseResult;

beforeAll(() => {
  const cli = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const roots = CRUISE_ROOTS.filter((root) => existsSync(join(ROOT, root)));
  const run = spawnSync(process.execPath, [cli, '--config', CONFIG, '--output-type', 'json', '--progress', 'none', ...roots], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  if (run.status !== 0 || !run.stdout) throw new Error(`dependency-cruiser failed (exit ${run.status}):\n${run.stderr}`);
  result = JSON.parse(run.stdout) as CruiseResult;
});

/** Fails with one line per violation, so that the message says what to fix. */
const expectNone = (what: string, violations: string[]): void => {
  if (violations.length > 0) {
    throw new Error(`${what}: ${violations.length} violation(s)\n${violations.map((line) => `  ${line}`).join('\n')}`);
  }
};

const violationsOf = (rule: string): Violation[] => {
  if (!result.summary.ruleSetUsed.forbidden?.some((used) => used.name === rule)) {
    throw new Error(`${CONFIG} has no rule named ${rule}`);
  }
  return result.summary.violations.filter((violation) => violation.rule.name === rule);
};

const expectRuleHolds = (rule: string, what: string): void =>
  expectNone(
    what,
    violationsOf(rule).map((violation) => `${violation.from} → ${violation.to}`),
  );

/** Non-test .ts files under a folder of the repository, parsed (no type checking). */
const sourceFiles = (folder: string, withTests = false): ts.SourceFile[] => {
  const files: ts.SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && (withTests || !entry.name.endsWith('.test.ts'))) {
        const name = relative(ROOT, path).split(sep).join('/');
        files.push(ts.createSourceFile(name, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true));
      }
    }
  };
  if (existsSync(join(ROOT, folder))) walk(join(ROOT, folder));
  return files;
};

const where = (file: ts.SourceFile, node: ts.Node): string =>
  `${file.fileName}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`;

/** Module specifiers of import/export declarations, import('…'), require('…') and import x = require('…'). */
const specifiers = (file: ts.SourceFile): Array<{ node: ts.Node; text: string }> => {
  const found: Array<{ node: ts.Node; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ node, text: node.moduleSpecifier.text });
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteral(node.expression)) {
      found.push({ node, text: node.expression.text });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ node, text: node.arguments[0].text });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ node, text: node.argument.literal.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
};

// SQL in string and template literals (comments are not looked at). Each pattern wants the shape
// of a statement, not just its keywords, and its first keyword and the one in (…) must be both
// upper or both lower case, so prose such as "Select the profile from the list" or "DELETE takes
// only before" passes while `SELECT … FROM` and `select … from` do not.
const NAME = String.raw`[\w."\x60\[\]]+`;
const SQL: RegExp[] = [
  new RegExp(String.raw`\bSELECT\s+(?:DISTINCT\s+)?(?:\*|[\w.*"\x60\[\]]+(?:\s+AS\s+\w+)?\s*(?:,|(?=FROM\b))|\w+\s*\()[\s\S]*?\b(FROM)\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\b(?:INSERT|REPLACE)\s+(?:OR\s+\w+\s+)?(INTO)\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\bUPDATE\s+(?:OR\s+\w+\s+)?${NAME}\s+(SET)\s+${NAME}\s*=`, 'gi'),
  new RegExp(String.raw`\bDELETE\s+(FROM)\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\bCREATE\s+(?:TEMP(?:ORARY)?\s+|UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}\s*(?:\(|ON\b|AS\b|USING\b|BEFORE\b|AFTER\b|INSTEAD\b)`, 'gi'),
  new RegExp(String.raw`\bDROP\s+(TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+EXISTS\s+)?${NAME}\s*(?:;|$)`, 'gi'),
  new RegExp(String.raw`\bALTER\s+(TABLE)\s+${NAME}\s+(?:ADD|DROP|RENAME)\b`, 'gi'),
  new RegExp(String.raw`\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b`, 'gi'),
  /\bPRAGMA\s+\w+/gi,
];
const oneCase = (...words: string[]): boolean =>
  words.every((word) => word === word.toUpperCase()) || words.every((word) => word === word.toLowerCase());
const sqlIn = (text: string): string | undefined => {
  for (const pattern of SQL) {
    for (const match of text.matchAll(pattern)) {
      if (oneCase(match[0].split(/\s/)[0], ...(match[1] === undefined ? [] : [match[1]]))) return match[0].replace(/\s+/g, ' ');
    }
  }
  return undefined;
};

/** The text of string and template literals; a template's ${…} parts read as `x`. */
const literals = (file: ts.SourceFile): Array<{ node: ts.Node; text: string }> => {
  const found: Array<{ node: ts.Node; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      found.push({ node, text: node.text });
    } else if (ts.isTemplateExpression(node)) {
      found.push({ node, text: node.head.text + node.templateSpans.map((span) => `x${span.literal.text}`).join('') });
      node.templateSpans.forEach((span) => visit(span.expression));
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
};

describe('architecture of src/', () => {
  it('cruises every layer and resolves every import under src/ (else the rules below could not see it)', () => {
    const sources = result.modules.map((module) => module.source);
    expectNone(
      'layers with no module',
      LAYERS.filter((layer) => !sources.some((source) => source.startsWith(`${layer}/`))),
    );
    expectNone(
      'imports under src/ that dependency-cruiser could not resolve',
      result.modules
        .filter((module) => module.source.startsWith('src/') && !isTest(module.source))
        .flatMap((module) => module.dependencies.filter((dependency) => dependency.couldNotResolve).map((dependency) => `${module.source} → ${dependency.module}`)),
    );
  });

  it('has no import cycle under src/ (import type included)', () => {
    const cycles = new Map<string, string>();
    for (const violation of violationsOf('no-circular')) {
      const edges = violation.cycle ?? [{ name: violation.to, dependencyTypes: [] }];
      const nodes = [violation.from, ...edges.map((edge) => edge.name)].slice(0, -1);
      const start = nodes.indexOf([...nodes].sort()[0]);
      const key = [...nodes.slice(start), ...nodes.slice(0, start)].join(' ');
      const steps = edges.map((edge) => `${edge.dependencyTypes.includes('type-only') ? '→ (type) ' : '→ '}${edge.name}`);
      if (!cycles.has(key)) cycles.set(key, `${violation.from} ${steps.join(' ')}`);
    }
    expectNone('import cycles', [...cycles.values()].sort());
  });

  it('src/domain imports only src/domain and node: builtins', () => {
    const bareBuiltins = sourceFiles('src/domain').flatMap((file) =>
      specifiers(file)
        .filter(({ text }) => !text.startsWith('node:') && isBuiltin(text))
        .map(({ node, text }) => `${where(file, node)} → ${text} (write node:${text})`),
    );
    expectNone('src/domain importing outside itself', [
      ...violationsOf('domain-only-domain-and-node').map((violation) => `${violation.from} → ${violation.to}`),
      ...bareBuiltins,
    ]);
  });

  it('src/infrastructure does not import src/api', () => {
    expectRuleHolds('infrastructure-not-to-api', 'src/infrastructure importing src/api');
  });

  it('read models do not import the command handlers', () => {
    expectRuleHolds('readmodels-not-to-commands', 'a read model importing src/infrastructure/commands');
  });

  it('src/infrastructure imports nothing outside src/ but npm packages and builtins', () => {
    expectRuleHolds('infrastructure-not-outside-src', 'src/infrastructure importing from outside src/');
  });

  it('src/api does not import typeorm or better-sqlite3 (its tests included)', () => {
    expectRuleHolds('api-not-to-orm', 'src/api importing typeorm or better-sqlite3');
  });

  it('the event store port names no database library', () => {
    expectRuleHolds('store-port-not-to-orm', 'the event store port importing a database library');
  });

  it('src/api does not reach the database or the storage behind the application (its tests included)', () => {
    expectRuleHolds('api-not-to-storage', 'src/api reaching the storage behind the ports');
  });

  it('src/api contains no SQL (its tests included)', () => {
    expectNone(
      'SQL in src/api',
      sourceFiles('src/api', true).flatMap((file) =>
        literals(file).flatMap(({ node, text }) => {
          const sql = sqlIn(text);
          return sql === undefined ? [] : [`${where(file, node)} → ${sql.length > 80 ? `${sql.slice(0, 77)}...` : sql}`];
        }),
      ),
    );
  });

  it('no non-test file under src/ imports test/ or a test file', () => {
    expectRuleHolds('src-not-to-tests', 'src/ importing tests');
  });

  it('no file under src/ is imported by tests alone (test helpers live beside the tests)', () => {
    expectNone(
      'src/ files only tests import',
      result.modules
        .filter((module) => module.source.startsWith('src/') && !isTest(module.source))
        .filter((module) => (module.dependents ?? []).length > 0 && (module.dependents ?? []).every(isTest))
        .map((module) => `${module.source} ← ${(module.dependents ?? []).length} test file(s): ${[...(module.dependents ?? [])].sort().join(', ')}`),
    );
  });
});

/**
 * The entity classes of src/ (classes with an @Entity decorator), each with its owner: the
 * folder of its file. Only the owner queries or writes a table; other modules may name its row
 * type (what the owner's queries return) but not use the class as a value.
 */
const entityOwners = (): Map<string, string> => {
  const owners = new Map<string, string>();
  for (const file of sourceFiles('src')) {
    for (const statement of file.statements) {
      const decorators = ts.isClassDeclaration(statement) ? (ts.getDecorators(statement) ?? []) : [];
      const isEntity = decorators.some((decorator) => ts.isCallExpression(decorator.expression) && ts.isIdentifier(decorator.expression.expression) && decorator.expression.expression.text === 'Entity');
      if (isEntity && ts.isClassDeclaration(statement) && statement.name) owners.set(statement.name.text, file.fileName.slice(0, file.fileName.lastIndexOf('/') + 1));
    }
  }
  return owners;
};

/** Entity classes imported as values (an import without `type`, aliased or not). */
const valueImports = (file: ts.SourceFile, names: ReadonlySet<string>): Array<{ node: ts.Node; name: string }> =>
  file.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) || statement.importClause?.isTypeOnly) return [];
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) return [];
    return bindings.elements
      .filter((element) => !element.isTypeOnly && names.has((element.propertyName ?? element.name).text))
      .map((element) => ({ node: element, name: (element.propertyName ?? element.name).text }));
  });

/** The names a file binds to a whole module as a value (`import * as entities from …`). */
const namespaceImports = (file: ts.SourceFile): Set<string> =>
  new Set(
    file.statements.flatMap((statement) => {
      const bindings = ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly ? statement.importClause?.namedBindings : undefined;
      return bindings && ts.isNamespaceImport(bindings) ? [bindings.name.text] : [];
    }),
  );

/**
 * Uses of an identifier as a value (not in an import or export, a type, or a property name),
 * including `namespace.Name` through a namespace import and a class that `extends` it (its
 * heritage clause is a type node to the compiler, but the class is built on the entity's value).
 */
const valueUses = (file: ts.SourceFile, names: ReadonlySet<string>): Array<{ node: ts.Node; name: string }> => {
  const found: Array<{ node: ts.Node; name: string }> = [];
  const namespaces = namespaceImports(file);
  const visit = (node: ts.Node): void => {
    if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(node.parent)) {
      for (const type of node.types) visit(type.expression);
      return;
    }
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node) || ts.isTypeNode(node)) return;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && namespaces.has(node.expression.text) && names.has(node.name.text)) {
      found.push({ node, name: node.name.text });
    }
    if (ts.isIdentifier(node) && names.has(node.text)) {
      const parent = node.parent;
      const isPropertyName = (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node);
      if (!isPropertyName) found.push({ node, name: node.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
};

describe('table ownership', () => {
  /** Where every table is listed on purpose: the data source's entity list, the read models' list, the store migration (it copies them all). */
  const LISTS_EVERY_TABLE = ['src/infrastructure/application.ts', 'src/infrastructure/readmodels/index.ts', 'src/infrastructure/store-migration.ts'];

  it('finds the entity classes (else the rule below could not see them)', () => {
    expect(entityOwners().size).toBeGreaterThanOrEqual(15);
  });

  // A value import (even aliased) counts as a use: a type import of the row is what other modules need.
  it('only the module that owns a table uses its entity class to query or write it', () => {
    const owners = entityOwners();
    const names = new Set(owners.keys());
    expectNone(
      'an entity class used outside the folder that owns it (ask the owner\'s typed queries instead)',
      sourceFiles('src')
        .filter((file) => !LISTS_EVERY_TABLE.includes(file.fileName))
        .flatMap((file) =>
          [...valueImports(file, names), ...valueUses(file, names)]
            .filter(({ name }) => !file.fileName.startsWith(owners.get(name)!))
            .map(({ node, name }) => `${where(file, node)} uses ${name} (owned by ${owners.get(name)})`),
        ),
    );
  });
});

describe('migrations', () => {
  it('every SQLite migration has its PostgreSQL counterpart of the same name, in the same order', () => {
    const migrations = join(ROOT, 'src', 'infrastructure', 'persistence', 'migrations');
    const files = (dir: string): string[] => readdirSync(dir).filter((name) => /^\d+-.+\.ts$/.test(name) && !name.endsWith('.test.ts')).sort();
    const sqlite = files(migrations);
    const postgres = files(join(migrations, 'postgres'));
    expectNone(
      'migrations without a PostgreSQL counterpart (write src/infrastructure/persistence/migrations/postgres/<same file name> and list it in postgres/index.ts)',
      sqlite.filter((name) => !postgres.includes(name)),
    );
    expectNone('PostgreSQL migrations without a SQLite one', postgres.filter((name) => !sqlite.includes(name)));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here so that a missing file fails the test above, not the import
    const { MIGRATIONS } = require('../src/infrastructure/persistence/migrations') as { MIGRATIONS: Array<new () => { name: string }> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const { POSTGRES_MIGRATIONS } = require('../src/infrastructure/persistence/migrations/postgres') as { POSTGRES_MIGRATIONS: Array<new () => { name: string }> };
    expect(POSTGRES_MIGRATIONS.map((migration) => new migration().name)).toEqual(MIGRATIONS.map((migration) => new migration().name));
  });
});
