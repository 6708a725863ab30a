/**
 * The layering rules of STYLE.md, checked by scanning imports: cheap, and it keeps the
 * house standing. cli → program → commands → {transfer, api, config, ui} → errors.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface SourceFile {
  readonly path: string;
  readonly layer: string;
  readonly imports: string[];
  readonly text: string;
}

const files: SourceFile[] = sourceFiles(SRC).map((path) => {
  const rel = relative(SRC, path);
  const text = readFileSync(path, 'utf8');
  const imports = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? '');
  return { path: rel, layer: rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.ts$/, ''), imports, text };
});

/** The src-relative module an import points at, or the package name. */
function target(file: SourceFile, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier.startsWith('node:') ? specifier : specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  return relative(SRC, resolve(SRC, file.path, '..', specifier)).replace(/\.js$/, '.ts');
}

const inLayer = (layers: string[]) => files.filter((f) => layers.includes(f.layer));

describe('layering', () => {
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each([
    ['undici', ['api']],
    ['conf', ['config']],
    ['chalk', ['ui']],
    ['cli-progress', ['ui']],
    ['@inquirer/core', ['ui']],
    ['commander', ['cli', 'program', 'commands', 'options']],
  ])('only %s-owning layers import %s', (pkg, owners) => {
    const offenders = files.filter((f) => !owners.includes(f.layer) && f.imports.some((s) => target(f, s) === pkg)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('api, transfer and config never import ui, commands or the CLI wiring', () => {
    const offenders = inLayer(['api', 'transfer', 'config']).flatMap((f) =>
      f.imports.map((s) => target(f, s)).filter((t) => /^(ui|commands)\//.test(t) || ['program.ts', 'cli.ts', 'session.ts', 'options.ts'].includes(t)).map((t) => `${f.path} → ${t}`),
    );
    expect(offenders).toEqual([]);
  });

  it('api, transfer and config never touch process.stdout, process.exit or process.argv', () => {
    const offenders = inLayer(['api', 'transfer', 'config']).filter((f) => /process\.(stdout|stderr|exit|argv)\b/.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('commands never import each other', () => {
    const offenders = inLayer(['commands']).flatMap((f) => f.imports.map((s) => target(f, s)).filter((t) => t.startsWith('commands/')).map((t) => `${f.path} → ${t}`));
    expect(offenders).toEqual([]);
  });

  it('nothing below the CLI wiring imports program.ts or cli.ts', () => {
    const offenders = files
      .filter((f) => f.path !== 'cli.ts')
      .flatMap((f) => f.imports.map((s) => target(f, s)).filter((t) => t === 'cli.ts' || t === 'program.ts').map((t) => `${f.path} → ${t}`));
    expect(offenders).toEqual([]);
  });

  it('only cli.ts reads process.argv or sets the exit code', () => {
    const offenders = files.filter((f) => f.path !== 'cli.ts' && /process\.(argv|exit\b|exitCode)/.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });
});
