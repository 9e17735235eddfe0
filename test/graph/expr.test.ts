import { describe, expect, it } from 'vitest';
import { evaluate, evaluateTemplate, ExprError, parseExpression, parseTemplate, type Value } from '../../src/graph/expr.js';

const vars: Record<string, Value> = {
  depth: 50,
  planes: 64,
  stages: { 18: [2, 2, 2, 2], 50: [3, 4, 6, 3] },
  in: { c: 256, h: 56, w: 56, shape: [256, 56, 56] },
  i: 2,
  bn: true,
};
const ev = (src: string) => evaluate(parseExpression(src), (n) => vars[n]);

describe('expressions', () => {
  it('follows arithmetic precedence, with Python-style // and %', () => {
    expect(ev('1 + 2 * 3')).toBe(7);
    expect(ev('(1 + 2) * 3')).toBe(9);
    expect(ev('2 ** 3 ** 2')).toBe(512); // right-associative
    expect(ev('-2 ** 2')).toBe(-4); // as in Python
    expect(ev('2 ** -1')).toBe(0.5);
    expect(ev('7 / 2')).toBe(3.5);
    expect(ev('7 // 2')).toBe(3);
    expect(ev('-7 // 2')).toBe(-4);
    expect(ev('-7 % 3')).toBe(2);
    expect(ev('planes * 64 // 64 * 32')).toBe(2048);
  });

  it('reads params, the input shape and indexes maps and lists', () => {
    expect(ev('in.c // 2')).toBe(128);
    expect(ev('in.shape[1]')).toBe(56);
    expect(ev('stages[depth][3]')).toBe(3);
    expect(ev('stages[18]')).toEqual([2, 2, 2, 2]);
    expect(ev('[1, planes][1]')).toBe(64);
    expect(ev('len(stages[50])')).toBe(4);
  });

  it('has comparisons, logic, the conditional and functions', () => {
    expect(ev('i == 0 ? 2 : 1')).toBe(1);
    expect(ev('in.c != planes * 4 || i == 0')).toBe(false);
    expect(ev('!bn && true')).toBe(false);
    expect(ev('min(3, 1, 2) + max([4, 9]) + floor(2.7) + ceil(2.1) + round(2.5) + abs(-1)')).toBe(1 + 9 + 2 + 3 + 3 + 1);
    expect(ev('"a" + 1')).toBe('a1');
  });

  it('reports errors with their offset', () => {
    const offsetOf = (src: string) => {
      try {
        ev(src);
      } catch (e) {
        expect(e).toBeInstanceOf(ExprError);
        return [(e as ExprError).message, (e as ExprError).offset];
      }
      throw new Error('no error');
    };
    expect(offsetOf('planes + widht')).toEqual(["unknown name 'widht'", 9]);
    expect(offsetOf('1 / 0')).toEqual(['division by zero', 2]);
    expect(offsetOf('1 +')).toEqual(['unexpected end of expression', 3]);
    expect(offsetOf('1 2')).toEqual(["unexpected '2' after the expression", 2]);
    expect(offsetOf('bn + 1')).toEqual(["'+' needs a number, got boolean true", 3]);
    expect(offsetOf('in.d')).toEqual(["no field 'd' (has c, h, w, shape)", 2]);
    expect(offsetOf('stages[34]')[0]).toBe('no entry "34" (has 18, 50)');
    expect(offsetOf('eval(1)')[0]).toMatch(/^unknown function 'eval'/);
    // A list literal is syntax, not a function a file could call by an internal name.
    expect(offsetOf('len(__list(1, 2))')).toEqual(["unknown function '__list' (known: min, max, floor, ceil, round, abs, len)", 4]);
    expect(offsetOf('1 ? 2 : 3')[0]).toBe('a condition needs true or false, got number 1');
  });
});

describe('templates', () => {
  const t = (text: string) => evaluateTemplate(parseTemplate(text)!, (n) => vars[n]);
  it('keeps the type of a whole-string expression', () => {
    expect(t('${planes * 4}')).toBe(256);
    expect(t('${bn}')).toBe(true);
  });
  it('joins text and values otherwise', () => {
    expect(t('denselayer${i + 1}')).toBe('denselayer3');
    expect(t('${depth}-${planes}')).toBe('50-64');
  });
  it('leaves text without ${ alone', () => {
    expect(parseTemplate('conv1')).toBeUndefined();
  });
  it('rejects an unclosed ${', () => {
    expect(() => parseTemplate('a${b')).toThrow('"${" without its closing "}"');
  });
});
