'use strict';

const { divide } = require('./calc');

function currency(amount, code) {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(amount);
}

function unitPrice(total, quantity, code) {
  return currency(divide(total, quantity), code);
}

module.exports = { currency, unitPrice };
