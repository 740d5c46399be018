// The KorSTS harness's statistics against values computed by hand.
import { averageRanks, pearson, spearman } from '../../bench/korsts/stats.mjs';

test('average ranks give ties the mean of their positions', () => {
  expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  expect(averageRanks([1, 1, 1])).toEqual([2, 2, 2]);
});

test('pearson on small hand-computed series', () => {
  // x = 1..5, y = 2,4,5,4,5: mean 4, Sxy = 6, Sxx = 10, Syy = 6 → r = 6/sqrt(60)
  expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
  expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
});

test('spearman with ties equals pearson of average ranks', () => {
  // ranks x = 1,2,3,4,5; ranks y = 1,3,4.5,3... computed: y = 2,4,5,4,5 → ranks 1, 2.5, 4.5, 2.5, 4.5
  // mean 3, dx = -2,-1,0,1,2, dy = -2,-0.5,1.5,-0.5,1.5 → Sxy = 4+0.5+0-0.5+3 = 7, Sxx = 10, Syy = 4+0.25+2.25+0.25+2.25 = 9
  expect(spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(7 / Math.sqrt(90), 12);
  expect(spearman([1, 2, 3, 4], [10, 100, 1000, 10000])).toBeCloseTo(1, 12);
});

test('mismatched lengths are rejected', () => {
  expect(() => pearson([1, 2], [1])).toThrow(RangeError);
});
