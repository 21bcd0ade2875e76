-- 0103_routes_sets_dropped: the tables of 0100 that kept a set of every listing id per route and week
-- (routes_state, fed by routes_mv, and routes_backfill) are dropped: routes reads routes_members and
-- routes_prices (0102), and the route watches of the console's cases read routes_prices too, so no
-- insert into listing_obs has to compute those sets any more.
DROP TABLE IF EXISTS routes_mv;
DROP TABLE IF EXISTS routes_state;
DROP TABLE IF EXISTS routes_backfill;
