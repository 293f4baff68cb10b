/*
** demo_market.c: the demo county's marketplace, seeded through the market
** service functions. Every village gets a producer (cooperative, family farm,
** company or individual) and its product line - apples, kiwifruit, tea,
** shiitake, honey, eggs, walnuts, chili sauce, bamboo crafts ... - with a
** short bilingual story, storage conditions, a lot of stock at a network
** node, and about one village in three a "one village one product"
** signature with a brand. Then some 240 past orders spread over the last six
** months moving through their lifecycle (most delivered, some cancelled or
** refunded, the newest still on their way), and an upcoming live session of
** the demo merchant with flash offers and pre-heat posts.
**
** The demo merchant owns the producers of the first three townships' villages;
** the others belong to the system (unassigned). Randomness comes from the
** "market" stream, so the same seed gives the same catalog and orders.
*/
#include "demo/demo_int.h"
#include "market/market.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

struct demo_good {
    const char *zh, *en, *category, *unit_zh;
    int64_t price_lo_fen, price_hi_fen, weight_g;
    enum market_storage storage;
    double tmin, tmax, rhmin, rhmax; /* commodity conditions (domain-anchors 2.4) */
    int shelf_days;
    const char *story_zh, *story_en;
    const char *tag;
};

/* Commodity conditions: apples -1..4 °C 90-95 % (AH-66 via anchors 2.4),
** fresh mushrooms 0 °C, frozen pork at or below -18 °C; eggs about 4 °C
** (low-authority source, see anchors); shelf-stable goods in a dry store. */
static const struct demo_good goods[] = {
    {"红富士苹果", "Fuji apples", "fruit", "箱 5 kg", 4800, 8800, 5000, MARKET_STORAGE_CHILLED, -1,
     4, 90, 95, 120, "山坡果园，昼夜温差大，果脆汁多。",
     "Hillside orchards with cold nights: crisp, juicy fruit.", "高山水果"},
    {"红心猕猴桃", "Red-heart kiwifruit", "fruit", "箱 3 kg", 5800, 9800, 3000,
     MARKET_STORAGE_CHILLED, 0, 2, 90, 95, 60, "溪谷里的猕猴桃，自然成熟后采摘。",
     "Valley kiwifruit, picked when ripe.", "高山水果"},
    {"明前绿茶", "Spring green tea", "tea", "罐 250 g", 9800, 26800, 250, MARKET_STORAGE_AMBIENT, 5,
     20, 40, 60, 540, "清明前手工采摘，云雾里长大的茶。",
     "Hand-picked before Qingming, grown in mountain mist.", "云雾茶"},
    {"鲜香菇", "Fresh shiitake", "fungi", "盒 1 kg", 2600, 4200, 1000, MARKET_STORAGE_CHILLED, 0, 2,
     90, 95, 14, "林下段木栽培，菌盖厚实。", "Grown on logs under the forest canopy; thick caps.",
     "林下经济"},
    {"土蜂蜜", "Wild honey", "honey", "瓶 500 g", 6800, 12800, 600, MARKET_STORAGE_AMBIENT, 5, 25,
     40, 65, 730, "中华蜜蜂在百花山谷酿的蜜，一年只取一次。",
     "Chinese honeybees in a valley of flowers; harvested once a year.", "百花蜜"},
    {"林下土鸡蛋", "Free-range eggs", "eggs", "盒 30 枚", 3600, 5600, 1800, MARKET_STORAGE_CHILLED,
     2, 6, 70, 85, 35, "鸡在林间散养，吃虫子和玉米。", "Hens roam the woods on insects and maize.",
     "散养"},
    {"薄壳核桃", "Thin-shell walnuts", "nuts", "袋 1 kg", 3800, 6800, 1000, MARKET_STORAGE_AMBIENT,
     0, 20, 50, 65, 365, "老核桃树结的果，手一捏就开。",
     "From old walnut trees; the shell cracks in your hand.", "山货"},
    {"农家辣椒酱", "Farmhouse chili sauce", "sauce", "瓶 300 g", 1800, 3200, 380,
     MARKET_STORAGE_AMBIENT, 5, 25, 40, 70, 365, "外婆的方子，石臼舂的辣椒。",
     "Grandmother's recipe, chilies pounded in a stone mortar.", "非遗美食"},
    {"竹编果篮", "Bamboo fruit basket", "handicraft", "个", 6800, 18800, 600,
     MARKET_STORAGE_AMBIENT, 0, 30, 30, 70, 0, "村里老篾匠一根根编成。",
     "Woven strip by strip by the village's old basket maker.", "手工艺"},
    {"苗绣围巾", "Embroidered scarf", "handicraft", "条", 12800, 39800, 200, MARKET_STORAGE_AMBIENT,
     0, 30, 30, 70, 0, "绣娘们冬闲时一针一线绣成。",
     "Stitched by the village embroiderers in the winter months.", "手工艺"},
    {"高山土豆", "Highland potatoes", "vegetable", "袋 5 kg", 1500, 2800, 5000,
     MARKET_STORAGE_AMBIENT, 4, 10, 85, 95, 90, "沙壤土里长的洋芋，面而香。",
     "Grown in sandy soil: floury and fragrant.", "高山蔬菜"},
    {"黑猪腊肉", "Smoked black-pig bacon", "meat", "袋 500 g", 6800, 11800, 500,
     MARKET_STORAGE_FROZEN, -23, -18, 90, 95, 180, "柴火慢熏四十天的腊肉。",
     "Slow-smoked over wood fires for forty days.", "年货"},
};
#define NGOODS (sizeof goods / sizeof goods[0])

static const char *const producer_kinds[] = {"cooperative", "family_farm", "company", "individual"};
static const char *const producer_suffix_zh[] = {"专业合作社", "家庭农场", "农业有限公司", "小店"};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "吴", "周"};

/* The node holding a village's goods: its service point, else the
** township's station, else the hub; chilled and frozen goods a cold store. */
static int64_t stock_node(const struct county_network *net, const struct county_village *v,
                          enum market_storage s)
{
    int64_t station = 0, hub = 0, point = 0, cold = 0;
    for (size_t i = 0; i < net->n_nodes; i++) {
        const struct county_node *nd = &net->nodes[i];
        if (nd->kind == COUNTY_NODE_POINT && nd->village_id == v->id && !point)
            point = nd->id;
        else if (nd->kind == COUNTY_NODE_STATION && nd->township_id == v->township_id && !station)
            station = nd->id;
        else if (nd->kind == COUNTY_NODE_HUB && !hub)
            hub = nd->id;
        else if (nd->kind == COUNTY_NODE_COLD_STORE && !cold)
            cold = nd->id;
    }
    if (s != MARKET_STORAGE_AMBIENT && cold)
        return cold;
    return point ? point : station ? station : hub ? hub : 1;
}

static int64_t village_point(const struct county_network *net, int64_t village_id)
{
    for (size_t i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].kind == COUNTY_NODE_POINT && net->nodes[i].village_id == village_id)
            return net->nodes[i].id;
    return 0;
}

struct seeded {
    int64_t product_id, village_id, price_fen;
    int64_t node_id; /* where its lot is */
    size_t good;
    bool merchant;
};

/* Seeding is a few thousand small durable writes; run them from several
** threads so the store's group commit batches them (ids then depend on the
** interleaving, the data does not: every random draw is made beforehand, in
** order, and stock is ample so no order's outcome depends on another). */
#define SEED_THREADS 8

struct pool {
    int (*fn)(struct demo_ctx *ctx, void *item, struct err *e);
    struct demo_ctx *ctx;
    char *items;
    size_t size, n;
    size_t next;
    int rc;
    struct err e;
    pthread_mutex_t mu;
};

static void *pool_main(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->next++;
        bool stop = p->rc != 0 || i >= p->n;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            return NULL;
        struct err e = {0};
        int rc = p->fn(p->ctx, p->items + i * p->size, &e);
        if (rc) {
            pthread_mutex_lock(&p->mu);
            if (!p->rc)
                p->rc = rc, p->e = e;
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static int pool_run(struct demo_ctx *ctx, void *items, size_t size, size_t n,
                    int (*fn)(struct demo_ctx *, void *, struct err *), struct err *e)
{
    struct pool p = {.fn = fn, .ctx = ctx, .items = items, .size = size, .n = n};
    pthread_mutex_init(&p.mu, NULL);
    pthread_t t[SEED_THREADS];
    int started = 0;
    for (; started < SEED_THREADS; started++)
        if (pthread_create(&t[started], NULL, pool_main, &p) != 0)
            break;
    if (started == 0)
        pool_main(&p);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_destroy(&p.mu);
    if (p.rc && e)
        *e = p.e;
    return p.rc;
}

/* One village's producer, certification, product and lot, all drawn. */
struct village_plan {
    struct seeded *out;
    const struct county_village *v;
    struct market_producer producer;
    bool has_cert;
    struct market_cert cert;
    struct market_product product;
    struct market_lot lot;
    const char *tags[3];
    const char *images[1];
    char name[COUNTY_NAME_BUF + 64], contact[32], phone[24], licence[32], cert_no[32];
    char pname_zh[COUNTY_NAME_BUF + 64], pname_en[COUNTY_NAME_BUF + 64];
    char story_zh[600], story_en[700], unit[64], brand[COUNTY_NAME_BUF + 16], sku[32];
    char img[96], code[48];
};

static int village_run(struct demo_ctx *ctx, void *item, struct err *e)
{
    struct village_plan *pl = item;
    int64_t producer_id, product_id;
    int rc = market_producer_create(ctx->st, &ctx->sys, &pl->producer, &producer_id, e);
    if (rc)
        return err_prefix(e, "producer of %s: ", pl->v->name_en);
    if (pl->has_cert && (rc = market_cert_add(ctx->st, &ctx->sys, producer_id, &pl->cert, NULL, e)))
        return err_prefix(e, "certification: ");
    pl->product.producer_id = producer_id;
    if ((rc = market_product_create(ctx->st, &ctx->sys, &pl->product, &product_id, e)))
        return err_prefix(e, "product %s: ", pl->pname_en);
    pl->lot.product_id = product_id;
    if ((rc = market_lot_add(ctx->st, &ctx->sys, &pl->lot, NULL, e)))
        return err_prefix(e, "lot of %s: ", pl->pname_en);
    pl->out->product_id = product_id;
    return 0;
}

/* One producer and one product per village. */
static int seed_catalog(struct demo_ctx *ctx, struct demo_rng *r, struct seeded *out, size_t *nout,
                        struct err *e)
{
    const struct county_network *net = &ctx->net;
    int64_t merchant_townships[3] = {0, 0, 0};
    for (size_t i = 0; i < net->n_townships && i < 3; i++)
        merchant_townships[i] = net->townships[i].id;
    int64_t now = time_now_ms();
    size_t n = net->n_villages;
    struct village_plan *plans = xcalloc(n ? n : 1, sizeof *plans);
    for (size_t i = 0; i < n; i++) {
        struct village_plan *pl = &plans[i];
        const struct county_village *v = &net->villages[i];
        pl->v = v;
        pl->out = &out[i];
        bool mine = v->township_id == merchant_townships[0] ||
                    v->township_id == merchant_townships[1] ||
                    v->township_id == merchant_townships[2];
        size_t kind = (size_t)demo_rng_range(r, 0, 3);
        snprintf(pl->name, sizeof pl->name, "%s%s", v->name_zh, producer_suffix_zh[kind]);
        snprintf(pl->contact, sizeof pl->contact, "%s%s", surnames[demo_rng_range(r, 0, 9)],
                 kind == 3 ? "大姐" : "师傅");
        snprintf(pl->phone, sizeof pl->phone, "1%02d%08lld", (int)demo_rng_range(r, 30, 89),
                 (long long)demo_rng_range(r, 0, 99999999));
        snprintf(pl->licence, sizeof pl->licence, "9%017lld",
                 (long long)demo_rng_range(r, 0, 99999999999LL));
        pl->producer = (struct market_producer){
            .village_id = v->id,
            .kind = producer_kinds[kind],
            .name = pl->name,
            .licence_no = pl->licence,
            .contact_name = pl->contact,
            .contact_phone = pl->phone,
            .owner_user_id = mine ? ctx->users[AUTH_ROLE_MERCHANT].user_id : 0};
        if (demo_rng_unit(r) < 0.25) {
            static const char *const kinds[] = {"green_food", "organic", "geographical_indication"};
            pl->has_cert = true;
            pl->cert.kind = kinds[demo_rng_range(r, 0, 2)];
            pl->cert.valid_from_ms = now - demo_rng_range(r, 100, 900) * DAY_MS;
            pl->cert.valid_until_ms = now + demo_rng_range(r, 30, 1000) * DAY_MS;
            snprintf(pl->cert_no, sizeof pl->cert_no, "CERT-%06lld",
                     (long long)demo_rng_range(r, 0, 999999));
            pl->cert.cert_no = pl->cert_no;
        }
        size_t gi = (size_t)demo_rng_range(r, 0, (int64_t)NGOODS - 1);
        const struct demo_good *g = &goods[gi];
        bool signature = demo_rng_unit(r) < 0.35;
        snprintf(pl->pname_zh, sizeof pl->pname_zh, "%s%s", v->name_zh, g->zh);
        snprintf(pl->pname_en, sizeof pl->pname_en, "%s %s", v->name_en, g->en);
        snprintf(pl->story_zh, sizeof pl->story_zh, "来自%s。%s", v->name_zh, g->story_zh);
        snprintf(pl->story_en, sizeof pl->story_en, "From %s, %lld m up. %s", v->name_en,
                 (long long)v->elevation_m, g->story_en);
        snprintf(pl->unit, sizeof pl->unit, "%s", g->unit_zh);
        snprintf(pl->brand, sizeof pl->brand, "%s好物", v->name_zh);
        snprintf(pl->sku, sizeof pl->sku, "V%lld-%zu", (long long)v->id, gi);
        pl->tags[0] = g->tag;
        pl->tags[1] = signature ? "一村一品" : "助农";
        pl->tags[2] = v->name_zh;
        snprintf(pl->img, sizeof pl->img, "https://img.ruralink.example/demo/%s.jpg", g->category);
        pl->images[0] = pl->img;
        int64_t price = demo_rng_range(r, g->price_lo_fen / 10, g->price_hi_fen / 10) * 10;
        pl->product = (struct market_product){.village_id = v->id,
                                              .sku = pl->sku,
                                              .name_zh = pl->pname_zh,
                                              .name_en = pl->pname_en,
                                              .story_zh = pl->story_zh,
                                              .story_en = pl->story_en,
                                              .category = g->category,
                                              .unit = pl->unit,
                                              .price_fen = price,
                                              .weight_g = g->weight_g,
                                              .storage = g->storage,
                                              .has_conditions = true,
                                              .temp_min_c = g->tmin,
                                              .temp_max_c = g->tmax,
                                              .rh_min_pct = g->rhmin,
                                              .rh_max_pct = g->rhmax,
                                              .shelf_life_days = g->shelf_days,
                                              .tags = pl->tags,
                                              .ntags = 3,
                                              .images = pl->images,
                                              .nimages = 1,
                                              .signature = signature,
                                              .brand = signature ? pl->brand : NULL};
        /* stock: a lot packed in the last two weeks */
        int64_t packed = now - demo_rng_range(r, 1, 14) * DAY_MS;
        snprintf(pl->code, sizeof pl->code, "%s-%lld", pl->sku, (long long)(packed / DAY_MS));
        pl->lot = (struct market_lot){.node_id = stock_node(net, v, g->storage),
                                      .lot_code = pl->code,
                                      .harvest_ms = packed - demo_rng_range(r, 0, 3) * DAY_MS,
                                      .pack_ms = packed,
                                      .qty = demo_rng_range(r, 200, 1200)};
        out[i] = (struct seeded){0, v->id, price, pl->lot.node_id, gi, mine};
    }
    int rc = pool_run(ctx, plans, sizeof *plans, n, village_run, e);
    free(plans);
    *nout = rc ? 0 : n;
    return rc;
}

/* One past order and the steps it went through, all drawn. */
struct order_plan {
    struct market_order_req req;
    struct market_line_req lines[3];
    const struct auth_principal *who;
    bool cancel;
    int steps;
    int64_t at[5];
};

static int order_run(struct demo_ctx *ctx, void *item, struct err *e)
{
    static const enum market_status path[5] = {MARKET_CONFIRMED, MARKET_PACKED, MARKET_SHIPPED,
                                               MARKET_DELIVERED, MARKET_REFUNDED};
    struct order_plan *pl = item;
    const struct auth_principal *op = &ctx->users[AUTH_ROLE_OPERATOR];
    struct market_order o;
    struct arena a;
    arena_init(&a, 2048);
    int rc = market_order_place(ctx->st, pl->who, &pl->req, &a, &o, e);
    arena_release(&a); /* only o.id is used below */
    if (rc)
        return err_prefix(e, "order: ");
    if (pl->cancel)
        return market_order_transition(ctx->st, op, o.id, MARKET_CANCELLED, "买家取消",
                                       pl->req.now_ms + 3600000, e);
    for (int k = 0; k < pl->steps && !rc; k++) {
        rc = market_order_transition(ctx->st, op, o.id, path[k],
                                     path[k] == MARKET_REFUNDED ? "果品破损，退款" : NULL,
                                     pl->at[k], e);
        if (!rc && path[k] == MARKET_DELIVERED)
            rc = market_order_pay(ctx->st, op, o.id, "paid", NULL, NULL, e);
    }
    return rc;
}

/* About 240 orders over the last six months, moved along their lifecycle. */
static int seed_orders(struct demo_ctx *ctx, struct demo_rng *r, const struct seeded *cat,
                       size_t ncat, struct err *e)
{
    if (!ncat)
        return 0;
    int64_t now = time_now_ms();
    const struct auth_principal *buyer = &ctx->users[AUTH_ROLE_BUYER];
    const struct auth_principal *op = &ctx->users[AUTH_ROLE_OPERATOR];
    enum { N = 240 };
    struct order_plan *plans = xcalloc(N, sizeof *plans);
    for (int i = 0; i < N; i++) {
        struct order_plan *pl = &plans[i];
        /* older orders first; denser in recent weeks */
        double u = (double)i / N;
        int64_t placed = now - (int64_t)((1.0 - u * (2.0 - u)) * 180.0 * DAY_MS) -
                         demo_rng_range(r, 1, 3600) * 1000;
        size_t nl = (size_t)demo_rng_range(r, 1, 3);
        const struct seeded *first = NULL;
        for (size_t k = 0; k < nl; k++) {
            const struct seeded *s = &cat[demo_rng_range(r, 0, (int64_t)ncat - 1)];
            if (!first)
                first = s;
            pl->lines[k] = (struct market_line_req){.product_id = s->product_id,
                                                    .qty = demo_rng_range(r, 1, 4)};
        }
        int64_t point = village_point(&ctx->net, first->village_id);
        pl->req = (struct market_order_req){.delivery_node_id = point,
                                            .lines = pl->lines,
                                            .nlines = nl,
                                            .payment_method =
                                                demo_rng_unit(r) < 0.6 ? "cod" : "bank_transfer",
                                            .now_ms = placed};
        if (!point) {
            pl->req.delivery_address = "县城东街 18 号";
            pl->req.has_coords = true;
            pl->req.lat = ctx->net.county.center.lat;
            pl->req.lon = ctx->net.county.center.lon;
        }
        /* half are placed by the buyer, half by the service point for it */
        pl->who = (i % 2) ? buyer : op;
        if (pl->who == op)
            pl->req.buyer_user_id = buyer->user_id;
        double age_days = (double)(now - placed) / DAY_MS;
        double fate = demo_rng_unit(r);
        pl->cancel = fate < 0.07;
        if (age_days > 7)
            pl->steps = fate < 0.10 ? 5 : 4;
        else
            pl->steps = (int)(age_days / 1.5); /* the newest are still on their way */
        int64_t t = placed;
        for (int k = 0; k < 5; k++) {
            t += demo_rng_range(r, 2, 20) * 3600000;
            pl->at[k] = t;
            if (t > now && k < pl->steps)
                pl->steps = k;
        }
    }
    int rc = pool_run(ctx, plans, sizeof *plans, N, order_run, e);
    free(plans);
    return rc ? err_prefix(e, "orders: ") : 0;
}

/* Tomorrow evening 20:00 Beijing time (12:00 UTC): the merchant's session. */
static int seed_live(struct demo_ctx *ctx, struct demo_rng *r, const struct seeded *cat,
                     size_t ncat, struct err *e)
{
    const struct auth_principal *m = &ctx->users[AUTH_ROLE_MERCHANT];
    const struct seeded *mine[3];
    size_t nm = 0;
    for (size_t i = 0; i < ncat && nm < 3; i++)
        if (cat[i].merchant && (nm == 0 || cat[i].good != mine[nm - 1]->good))
            mine[nm++] = &cat[i];
    if (!nm)
        return 0;
    int64_t now = time_now_ms();
    int64_t start = (now / DAY_MS + 1) * DAY_MS + 12 * 3600000LL;
    const char *tags[] = {"助农直播", "一村一品", "丰收节"};
    struct market_session s = {.village_id = mine[0]->village_id,
                               .title = "青岚山货丰收节直播 Harvest festival live",
                               .tags = tags,
                               .ntags = 3,
                               .start_ms = start,
                               .end_ms = start + 2 * 3600000LL};
    int64_t sid;
    int rc = market_session_create(ctx->st, m, &s, &sid, e);
    for (size_t i = 0; i < nm && !rc; i++) {
        int64_t flash = mine[i]->price_fen * demo_rng_range(r, 60, 80) / 100;
        int64_t stock = demo_rng_range(r, 5, 20) * 10;
        /* the offer reserves its units from the product's lot: at most half
        ** of what is left there after the seeded orders */
        struct market_product p;
        struct arena a;
        arena_init(&a, 4096);
        rc = market_product_get(ctx->st, m, mine[i]->product_id, &a, &p, e);
        arena_release(&a);
        if (!rc && stock > p.stock / 2)
            stock = p.stock / 2;
        struct market_offer o = {.session_id = sid,
                                 .product_id = mine[i]->product_id,
                                 .node_id = mine[i]->node_id,
                                 .flash_price_fen = flash > 0 ? flash : 1,
                                 .flash_stock = stock,
                                 .per_buyer_limit = 2};
        if (!rc && stock > 0)
            rc = market_offer_add(ctx->st, m, &o, NULL, e);
    }
    const char *ptags[] = {"预热", "助农直播"};
    struct market_post posts[] = {
        {.session_id = sid,
         .body = "明晚八点，村里的好东西都在直播间！Tomorrow 8 pm: the village's best, live.",
         .tags = ptags,
         .ntags = 2,
         .scheduled_ms = now},
        {.session_id = sid,
         .body = "秒杀价提前看：每人限购两份。Flash prices preview: two per buyer.",
         .tags = ptags,
         .ntags = 1,
         .scheduled_ms = start - 3600000},
    };
    for (size_t i = 0; i < 2 && !rc; i++)
        rc = market_post_add(ctx->st, m, &posts[i], NULL, e);
    return rc ? err_prefix(e, "live session: ") : 0;
}

int demo_seed_market(struct demo_ctx *ctx, struct err *e)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, "market");
    size_t cap = ctx->net.n_villages ? ctx->net.n_villages : 1, n = 0;
    struct seeded *cat = xcalloc(cap, sizeof *cat);
    int rc = seed_catalog(ctx, &r, cat, &n, e);
    if (!rc)
        rc = seed_orders(ctx, &r, cat, n, e);
    if (!rc)
        rc = seed_live(ctx, &r, cat, n, e);
    free(cat);
    return rc;
}
