// Smoothing of chart lines: an exponential moving average, debiased (as TensorBoard does)
// so that the first points are not pulled towards zero.

/** `values` smoothed with weight `weight` in [0, 1): 0 leaves them, 0.99 nearly flattens
 * them. Missing and non-finite values stay missing and do not disturb the average. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return values;
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    n += 1;
    return last / (1 - w ** n);
  });
}
