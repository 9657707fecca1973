-- A plain PostgreSQL schema for CRM data: accounts, contacts and opportunities from Salesforce, HubSpot or
-- Dynamics 365, as MapCrmFields' *-to-postgresql-* presets write them and UpsertCrmRecords (with the JDBC connection
-- service) upserts them.
--
--   psql -d crm -f templates/postgres/crm-schema.sql
--
-- Conventions
--   * id            the database's own key (the JDBC service needs a single-column primary key); never written by flows.
--   * source_system salesforce | hubspot | dynamics: where the row came from.
--   * source_id     the record's id in its source system; unique, so UpsertCrmRecords upserts by it
--                   (Key Field = source_id) and re-running a load updates rows instead of duplicating them.
--   * *_source_id   references hold the SOURCE id of the parent (account_source_id, contact_source_id,
--                   parent_source_id), as plain columns without foreign keys: children can arrive before their parents
--                   and a load never fails on order. Join on the parent's source_id (see the views at the end).
--   * Picklists hold canonical labels: industry (Technology, Finance, ...), lead_source (Web, Phone Inquiry, ...),
--     stage (Prospecting, Qualification, Proposal, Negotiation, Closed Won, Closed Lost); HubSpot's lifecycle stage
--     and lead status keep HubSpot's labels. Countries are ISO 3166-1 alpha-2 codes; phones are E.164 where the
--     number could be read.
--   * source_created_at / source_modified_at: when the record was created / last changed in its source.
--     created_at / updated_at: when the row was created / last changed here. The JDBC service's default
--     Modified Column is updated_at, which it sets on every write, so incremental reads of these tables work.

CREATE TABLE IF NOT EXISTS accounts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_system      varchar(20)   NOT NULL,
    source_id          varchar(64)   NOT NULL UNIQUE,
    name               varchar(255)  NOT NULL,
    website            varchar(255),
    domain             varchar(255),
    industry           varchar(80),
    phone              varchar(40),
    city               varchar(80),
    country            varchar(80),
    employees          integer,
    annual_revenue     numeric(18, 2),
    parent_source_id   varchar(64),
    source_created_at  timestamptz,
    source_modified_at timestamptz,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS contacts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_system      varchar(20)   NOT NULL,
    source_id          varchar(64)   NOT NULL UNIQUE,
    first_name         varchar(80),
    last_name          varchar(80),
    full_name          varchar(160),
    email              varchar(255),
    phone              varchar(40),
    mobile_phone       varchar(40),
    title              varchar(128),
    company_name       varchar(255),
    account_source_id  varchar(64),
    city               varchar(80),
    country            varchar(80),
    lead_source        varchar(40),
    lifecycle_stage    varchar(40),
    lead_status        varchar(40),
    birthdate          date,
    signup_date        date,
    source_created_at  timestamptz,
    source_modified_at timestamptz,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS opportunities (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_system      varchar(20)   NOT NULL,
    source_id          varchar(64)   NOT NULL UNIQUE,
    name               varchar(300)  NOT NULL,
    stage              varchar(40)   NOT NULL,
    amount             numeric(18, 2),
    close_date         date,
    probability        numeric(5, 2),   -- percent, 0 to 100
    account_source_id  varchar(64),
    contact_source_id  varchar(64),
    source_created_at  timestamptz,
    source_modified_at timestamptz,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS contacts_account_source_id ON contacts (account_source_id);
CREATE INDEX IF NOT EXISTS contacts_email ON contacts (lower(email));
CREATE INDEX IF NOT EXISTS opportunities_account_source_id ON opportunities (account_source_id);
CREATE INDEX IF NOT EXISTS opportunities_contact_source_id ON opportunities (contact_source_id);
CREATE INDEX IF NOT EXISTS accounts_updated_at ON accounts (updated_at, id);
CREATE INDEX IF NOT EXISTS contacts_updated_at ON contacts (updated_at, id);
CREATE INDEX IF NOT EXISTS opportunities_updated_at ON opportunities (updated_at, id);

-- Children with their parents resolved (a NULL parent column: not loaded yet, or none).
CREATE OR REPLACE VIEW contacts_with_account AS
    SELECT c.*, a.id AS account_id, a.name AS account_name
    FROM contacts c LEFT JOIN accounts a ON a.source_id = c.account_source_id;

CREATE OR REPLACE VIEW opportunities_with_parents AS
    SELECT o.*, a.id AS account_id, a.name AS account_name, c.id AS contact_id, c.full_name AS contact_name
    FROM opportunities o
    LEFT JOIN accounts a ON a.source_id = o.account_source_id
    LEFT JOIN contacts c ON c.source_id = o.contact_source_id;
