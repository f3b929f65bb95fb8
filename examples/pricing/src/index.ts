// GET ?product=widget&user=alice: the price for that buyer now. Scarce stock raises the price, a
// loyalty tier lowers it. Seed data: `islet kv key put widget '{"name":...}' --binding PRODUCTS --local`
// (npm start seeds examples/pricing/seed.json for you).
interface Env { PRODUCTS: KVNamespace; INVENTORY: KVNamespace; USERS: KVNamespace }
interface Product { name: string; basePrice: number; currency: string }

const TIER_DISCOUNT: Record<string, number> = { gold: 0.15, silver: 0.08, standard: 0 };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const productId = url.searchParams.get('product');
    if (productId === null) return Response.json({ error: 'Pass ?product=ID (and optionally &user=ID)' }, { status: 400 });
    const userId = url.searchParams.get('user');
    // The three reads are independent: issue them together.
    const [product, inventory, user] = await Promise.all([
      env.PRODUCTS.get<Product>(productId, 'json'),
      env.INVENTORY.get<{ stock: number }>(productId, 'json'),
      userId === null ? null : env.USERS.get<{ tier: string }>(userId, 'json'),
    ]);
    if (product === null || inventory === null) return Response.json({ error: `Unknown product ${productId}` }, { status: 404 });

    const scarcity = inventory.stock < 10 ? 1.2 : inventory.stock < 100 ? 1.05 : 1;
    const discount = TIER_DISCOUNT[user?.tier ?? 'standard'] ?? 0;
    const price = Math.round(product.basePrice * scarcity * (1 - discount) * 100) / 100;
    return Response.json({
      product: productId, name: product.name, price, currency: product.currency,
      stock: inventory.stock, tier: user?.tier ?? 'standard', factors: { scarcity, discount },
    }, { headers: { 'cache-control': 'private, max-age=30' } });
  },
};
