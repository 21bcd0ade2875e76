-- 0004_reference: reference tables, written by warehouse.LoadReference from
-- configs/reference (see configs/reference/SOURCES.md for every file's
-- source, date and uncertainty flags) and configs/partners.yaml. A load
-- replaces the whole content of each table.

-- countries: one row per ISO 3166-1 country with the regimes it takes part in.
--   iso2                  ISO 3166-1 alpha-2 code
--   iso3                  ISO 3166-1 alpha-3 code
--   numeric               ISO 3166-1 numeric code
--   name                  ISO short name (iso3166.csv)
--   region                UN M49 region ('' for TW, AQ)
--   sub_region            UN M49 sub-region ('' for TW, AQ)
--   intermediate_region   UN M49 intermediate region ('' where M49 has none)
--   eu_member             1 for the EU-27 (eu_cooperation.csv)
--   schengen              1 when the country fully applies the Schengen acquis
--   eio                   1 when bound by the European Investigation Order Directive 2014/41/EU
--   eaw                   1 when it operates the European Arrest Warrant
--   europol               relation with Europol: member, operational_agreement,
--                         strategic_agreement, working_arrangement, eu_uk_tca, '' for none
--   budapest              Budapest Convention (ETS 185): party, signatory or ''
--   budapest_in_force     its entry into force for the country (YYYY-MM-DD, '' when unknown)
--   budapest_uncertain    1 when the row is flagged UNCERTAIN or rests on recall only
--   budapest_p2           Second Additional Protocol (CETS 224): party (ratified), signatory or ''
--   budapest_p2_in_force  its entry into force ('' while not in force)
--   untoc                 UNTOC status: party, presumed (not among the 2017 non-parties),
--                         uncertain, nonparty
--   loaded_at             when the reference data was loaded
CREATE TABLE IF NOT EXISTS countries
(
    iso2 String,
    iso3 String,
    numeric String,
    name String,
    region String,
    sub_region String,
    intermediate_region String,
    eu_member UInt8,
    schengen UInt8,
    eio UInt8,
    eaw UInt8,
    europol String,
    budapest String,
    budapest_in_force String,
    budapest_uncertain UInt8,
    budapest_p2 String,
    budapest_p2_in_force String,
    untoc String,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY iso2;

-- regions: shipping-region strings of regions.yaml (our own mapping, not an
-- external standard), one row per (region, country).
--   region    region key (eu, scandinavia, benelux, ...)
--   aliases   strings vendors write for it
--   rule      how the code list was made
--   iso2      one alpha-2 code of the region
--   extra     1 when the code is a common-usage extra (vendors often mean it; not certain)
--   loaded_at  when the reference data was loaded
CREATE TABLE IF NOT EXISTS regions
(
    region String,
    aliases Array(String),
    rule String,
    iso2 String,
    extra UInt8,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY (region, iso2);

-- treaty_memberships: one row per (treaty or regime, country) as the
-- reference files state it.
--   treaty      budapest, budapest_protocol2, eu, schengen, eio, eaw, europol, untoc
--   iso2        alpha-2 code
--   status      party, signatory, member, full, bound, an europol relation, or an untoc status
--   signed      date the country signed (YYYY-MM-DD, '' when unknown or not applicable)
--   ratified    date it ratified, acceded or joined (YYYY-MM-DD, '' when unknown or not applicable)
--   in_force    date it entered into force for the country (YYYY-MM-DD, '' when unknown or not applicable)
--   basis       how the row was checked (codes in SOURCES.md; 'recall' = unverified)
--   note        the file's note, with its UNCERTAIN flags
--   uncertain   1 when flagged UNCERTAIN or resting on recall only
--   file        reference file of the row
--   loaded_at   when the reference data was loaded
CREATE TABLE IF NOT EXISTS treaty_memberships
(
    treaty String,
    iso2 String,
    status String,
    signed String,
    ratified String,
    in_force String,
    basis String,
    note String,
    uncertain UInt8,
    file String,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY (treaty, iso2);

-- cooperation_channels: the catalog of cooperation channels the cooperation
-- view can name (reference.Catalog).
--   channel           channel id (eio, europol_eurojust, jit, europol_partner,
--                     budapest_preservation, budapest_mla, budapest_protocol2,
--                     bilateral_mla, untoc_art18, vienna1988_art7, letters_rogatory)
--   rank              order of preference, lower first
--   name              the channel's name
--   legal_basis       instrument and articles
--   condition         when it applies, in words
--   dual_criminality  what the instrument says about dual criminality
--   loaded_at         when the reference data was loaded
CREATE TABLE IF NOT EXISTS cooperation_channels
(
    channel String,
    rank UInt8,
    name String,
    legal_basis String,
    condition String,
    dual_criminality String,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY channel;

-- partners: the partner directory (configs/partners.yaml).
--   id               partner id
--   agency           agency name
--   country          alpha-2 code of the agency's country
--   contact          contact point
--   signing_key      ed25519 public key (base64)
--   encryption_key   age X25519 recipient ('' when packages go unencrypted)
--   max_tlp          highest TLP 2.0 label the partner may receive
--   excluded_fields  fields never sent to the partner
--   loaded_at        when the directory was loaded
CREATE TABLE IF NOT EXISTS partners
(
    id String,
    agency String,
    country String,
    contact String,
    signing_key String,
    encryption_key String,
    max_tlp String,
    excluded_fields Array(String),
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY id;

-- reference_loads: one row per load of the reference data.
--   sha256      hash of the reference files (and partner directory) loaded
--   countries   rows written to countries
--   partners    rows written to partners
--   loaded_at   when
CREATE TABLE IF NOT EXISTS reference_loads
(
    sha256 String,
    countries UInt32,
    partners UInt32,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY loaded_at;
