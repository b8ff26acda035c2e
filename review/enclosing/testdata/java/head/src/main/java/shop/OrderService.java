package shop;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

public class OrderService {
    private final List<Order> orders = new ArrayList<>();
    private final Notifier notifier;

    public OrderService(Notifier notifier) {
        this.notifier = notifier;
    }

    @Override
    public String toString() {
        return "OrderService(" + orders.size() + ")";
    }

    public Order place(String customer, List<Item> items) throws InvalidOrderException {
        if (items.isEmpty()) {
            throw new InvalidOrderException("no items");
        }
        Order order = new Order(customer, items);
        orders.add(order);
        notifier.send(customer, new Runnable() {
            @Override
            public void run() {
                System.out.println("sent " + order.id() + " to " + customer);
            }
        });
        return order;
    }

    public int cancelAll(String customer) {
        int n = 0;
        for (Order o : orders) {
            if (Objects.equals(o.customer(), customer) && !o.shipped()) {
                o.cancel();
                n++;
            }
        }
        return n;
    }

}
