const { describe, it } = require('node:test');
const assert = require('node:assert');
const { Cart } = require('./cart');

describe('Cart', () => {
  it('starts empty', () => {
    const cart = new Cart();
    assert.strictEqual(cart.total(), 0);
  });

  it('adds items', () => {
    const cart = new Cart();
    cart.add({ sku: 'a', price: 3, qty: 2 });
    cart.add({ sku: 'b', price: 1, qty: 1 });
    assert.strictEqual(cart.total(), 7);
  });
});
