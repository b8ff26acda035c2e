const assert = require('node:assert');
const { test } = require('node:test');
const { add, divide, average } = require('../src/calc');

test('add', () => {
  assert.strictEqual(add(2, 3), 5);
});

test('divide', () => {
  assert.strictEqual(divide(6, 3), 2);
  assert.throws(() => divide(1, 0), RangeError);
});

test('average', () => {
  assert.strictEqual(average([1, 2, 3]), 2);
});

test('percent and median', () => {
  const { percent, median } = require('../src/calc');
  assert.strictEqual(percent(1, 4), 25);
  assert.strictEqual(median([3, 1, 2]), 2);
});
