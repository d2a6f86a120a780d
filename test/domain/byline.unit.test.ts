import { describe, expect, it } from 'vitest';
import { byline } from '../../src/domain/byline.ts';

describe('byline', () => {
  it('shows up to four names in full and past that three and how many more, never a bare "et al."', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `Author ${i + 1}`);
    expect(byline([])).toBe('');
    expect(byline(names(1))).toBe('Author 1');
    expect(byline(names(4))).toBe('Author 1, Author 2, Author 3, Author 4');
    expect(byline(names(5))).toBe('Author 1, Author 2, Author 3 +2 authors');
    expect(byline(names(50))).toBe('Author 1, Author 2, Author 3 +47 authors');
  });
});
