import { Item } from './item';

export interface Totals {
  net: number;
  tax: number;
}

export class Cart {
  private items: Item[] = [];

  constructor(private readonly taxRate: number) {}

  add(item: Item): void {
    const existing = this.items.find((i) => i.sku === item.sku);
    if (existing) {
      existing.qty += item.qty;
      return;
    }
    this.items.push({ ...item });
  }

  totals(): Totals {
    let net = 0;
    for (const item of this.items) {
      net += item.price * item.qty;
    }
    const tax = Math.round(net * this.taxRate);
    return { net, tax };
  }

  clear(): void {
    this.items = [];
  }
}
