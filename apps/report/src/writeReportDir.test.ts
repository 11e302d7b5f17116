import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutDirError, outDirProblem, writeReportDir } from './writeReportDir';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'varshare-report-write-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const report = (tag: string) => new Map([['summary.json', JSON.stringify({ generator: 'varshare-report', tag })], ['index.html', `<p>${tag}</p>`]]);

describe('writeReportDir', () => {
  it('creates the directory with every file and leaves no temp directory', () => {
    writeReportDir(join(work, 'out'), report('a'));
    expect(readdirSync(join(work, 'out')).sort()).toEqual(['index.html', 'summary.json']);
    expect(readdirSync(work)).toEqual(['out']);
  });
  it('replaces an earlier report entirely', () => {
    writeReportDir(join(work, 'out'), new Map([...report('a'), ['old.csv', 'x']]));
    writeReportDir(join(work, 'out'), report('b'));
    expect(readFileSync(join(work, 'out', 'index.html'), 'utf8')).toBe('<p>b</p>');
    expect(existsSync(join(work, 'out', 'old.csv'))).toBe(false);
    expect(readdirSync(work)).toEqual(['out']);
  });
  it('refuses a non-empty directory that is not a report, and a file, writing nothing', () => {
    mkdirSync(join(work, 'precious'));
    writeFileSync(join(work, 'precious', 'thesis.tex'), 'x');
    expect(() => writeReportDir(join(work, 'precious'), report('a'))).toThrow(OutDirError);
    expect(readdirSync(join(work, 'precious'))).toEqual(['thesis.tex']);
    writeFileSync(join(work, 'file'), 'x');
    expect(outDirProblem(join(work, 'file'))).toContain('not a directory');
    expect(readdirSync(work).sort()).toEqual(['file', 'precious']);
  });
  it('leaves the old report in place when writing fails', () => {
    writeReportDir(join(work, 'out'), report('a'));
    // A file name that cannot be created (a directory component is an existing file).
    const bad = new Map([...report('b'), ['index.html/nested', 'x']]);
    expect(() => writeReportDir(join(work, 'out'), bad)).toThrow();
    expect(readFileSync(join(work, 'out', 'index.html'), 'utf8')).toBe('<p>a</p>');
    expect(readdirSync(work)).toEqual(['out']);
  });
});
