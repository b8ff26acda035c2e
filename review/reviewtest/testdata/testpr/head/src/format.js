'use strict';

const { divide } = require('./calc');

function currency(amount, code) {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(amount);
}

function unitPrice(total, quantity, code) {
  return currency(divide(total, quantity), code);
}

// lineItem renders one invoice line for the HTML invoice page.
function lineItem(item) {
  return '<tr><td>' + item.name + '</td><td>' + currency(item.price, item.currency) + '</td></tr>';
}

module.exports = { currency, unitPrice, lineItem };
