import { describe, expect, it } from 'vitest';
import { renderSvg, scaleTypeFor, scopeSvgIds } from './charts';

describe('scopeSvgIds', () => {
  it('renames ids and their references in order of appearance', () => {
    const svg = '<svg><defs><linearGradient id="gradient_7"/><clipPath id="clip3"/></defs><rect fill="url(#gradient_7)" clip-path="url(#clip3)"/><use href="#clip3"/></svg>';
    expect(scopeSvgIds(svg, 'c')).toBe('<svg><defs><linearGradient id="c-0"/><clipPath id="c-1"/></defs><rect fill="url(#c-0)" clip-path="url(#c-1)"/><use href="#c-1"/></svg>');
  });
  it('leaves an svg without ids alone', () => {
    expect(scopeSvgIds('<svg><rect/></svg>', 'c')).toBe('<svg><rect/></svg>');
  });
});

describe('renderSvg', () => {
  it('renders a vega-lite spec to SVG with marks, the same bytes twice', async () => {
    const spec = { data: { values: [{ x: 1, y: 2, c: 0.5 }, { x: 2, y: 3, c: 1 }] }, mark: 'rect' as const, encoding: { x: { field: 'x', type: 'ordinal' as const }, y: { field: 'y', type: 'ordinal' as const }, color: { field: 'c', type: 'quantitative' as const } } };
    const a = await renderSvg(spec, 'k');
    const b = await renderSvg(spec, 'k');
    expect(a).toMatch(/^<svg/);
    expect(a).toContain('role-mark');
    expect(a).toBe(b);
  });
});

describe('scaleTypeFor', () => {
  it('uses log only for positive values spanning more than 20×', () => {
    expect(scaleTypeFor([0.001, 1])).toBe('log');
    expect(scaleTypeFor([0.5, 1])).toBe('linear');
    expect(scaleTypeFor([0, 1, 100])).toBe('linear');
    expect(scaleTypeFor([Number.NaN])).toBe('linear');
  });
});
