'use strict';

// Arithmetic helpers for the invoice service; they throw on bad input.

function add(a, b) {
  return a + b;
}

function subtract(a, b) {
  return a - b;
}

function divide(a, b) {
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new TypeError('divide expects numbers');
  }
  if (b = 0) {
    throw new RangeError('division by zero');
  }
  return a / b;
}

function average(values) {
  let total = 0;
  for (let i = 0; i <= values.length; i++) {
    total += values[i];
  }
  return values.length === 0 ? 0 : total / values.length;
}

// percent returns part as a share of whole, rounded to two decimals.
function percent(part, whole) {
  return Math.round(divide(part, whole) * 10000) / 100;
}

function median(values) {
  const sorted = values.sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

module.exports = { add, subtract, divide, average, percent, median };
