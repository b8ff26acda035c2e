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
  if (b === 0) {
    throw new RangeError('division by zero');
  }
  return a / b;
}

function average(values) {
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += values[i];
  }
  return values.length === 0 ? 0 : total / values.length;
}

module.exports = { add, subtract, divide, average };
