// The small schema the embedded demo database starts with: enough tables and
// rows that a newcomer's first `select`, `update ... where` and careless
// `delete` through Airlock show the three outcomes (pass, step-up, approval).

/** Tables the seed creates; the seed runs only when none of them exists yet. */
export const DEMO_TABLES = ['customers', 'orders', 'audit_log'] as const;

/** Run inside one transaction, so a crash half-way leaves nothing and the next start seeds again. */
export const DEMO_SEED_SQL = `
CREATE TABLE customers (
  id         integer PRIMARY KEY,
  name       text NOT NULL,
  email      text NOT NULL UNIQUE,
  country    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id          integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  status      text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'refunded')),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_log (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  actor    text NOT NULL,
  action   text NOT NULL,
  detail   text
);
INSERT INTO customers (id, name, email, country) VALUES
  (1, 'Ada Lovelace',    'ada@example.com',    'GB'),
  (2, 'Grace Hopper',    'grace@example.com',  'US'),
  (3, 'Edsger Dijkstra', 'edsger@example.com', 'NL'),
  (4, 'Barbara Liskov',  'barbara@example.com','US'),
  (5, 'Donald Knuth',    'donald@example.com', 'US');
INSERT INTO orders (id, customer_id, status, total_cents) VALUES
  (101, 1, 'paid',     4200),
  (102, 1, 'shipped',  1999),
  (103, 2, 'pending',   500),
  (104, 3, 'paid',    12000),
  (105, 4, 'refunded',  750),
  (106, 5, 'pending',  3300);
INSERT INTO audit_log (actor, action, detail) VALUES
  ('seed', 'create', 'demo schema created'),
  ('ada@example.com', 'login', 'web'),
  ('grace@example.com', 'order', 'order 103 placed');
`;
