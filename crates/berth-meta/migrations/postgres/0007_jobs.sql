-- Schema 7: background jobs (lifecycle, garbage collection) claimed by one node at a time, for
-- nodes sharing one database. A claim lasts until `lease_until` (epoch ms); its owner may renew it.
CREATE TABLE jobs (
    name         TEXT COLLATE "C" PRIMARY KEY,
    owner        TEXT COLLATE "C" NOT NULL,
    lease_until  BIGINT NOT NULL
);
