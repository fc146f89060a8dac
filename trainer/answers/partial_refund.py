# Reference answer for exercises/03_resolution_money.ipynb: it replaces the ✏️ cell.
# ruff: noqa: F821
# Profit = value − goods' cost − shipping = 24.53 − 10.44 − 4.08 = 10.01 USD. The buyer's
# ask (half: 12.27) is above it; 5.00 (half the profit) is where to start, not the limit.
answer = round(order["order_value"] - order["cost"] - order["shipping_cost"], 2)
