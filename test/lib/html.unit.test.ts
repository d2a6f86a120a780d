import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/lib/html.ts';

describe('escapeHtml', () => {
  it("keeps a value inside its attribute whichever quote the template used (the mail layer's escape let ' through)", () => {
    const value = `x' onmouseover='alert(1)" onclick="alert(2)<b>&amp;`;
    const single = `<a title='${escapeHtml(value)}'>`;
    const double = `<a title="${escapeHtml(value)}">`;
    for (const tag of [single, double]) {
      expect(tag.match(/'/g)?.length ?? 0).toBe(single === tag ? 2 : 0);
      expect(tag.match(/"/g)?.length ?? 0).toBe(double === tag ? 2 : 0);
      expect(tag.slice(1, -1)).not.toMatch(/[<>]/);
    }
    expect(escapeHtml(value)).toBe('x&#39; onmouseover=&#39;alert(1)&quot; onclick=&quot;alert(2)&lt;b&gt;&amp;amp;');
  });
});
