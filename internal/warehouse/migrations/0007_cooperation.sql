-- 0007_cooperation: cooperation channels between two countries.

-- cooperation: for every ordered pair of distinct countries (requesting,
-- partner), one row per cooperation channel that applies, and why. The
-- rules are those of reference.Channels (a test checks they agree). Both EU
-- member states: europol_eurojust and jit, and eio when both are bound by the
-- EIO Directive (not DK, IE). One a Europol member state and the other with a
-- Europol agreement or working arrangement (and not both EU): europol_partner.
-- Both Budapest Convention parties: budapest_preservation (Art. 29, 35) and
-- budapest_mla (Art. 25-27), and budapest_protocol2 when both ratified it and
-- it is in force. Neither eio nor Budapest: bilateral_mla, untoc_art18 when
-- neither is a UNTOC non-party, vienna1988_art7 and letters_rogatory.
-- (ARRAY JOIN runs before JOIN, so the pairs are made in a subquery first.)
--   requesting                    alpha-2 code of the requesting country
--   requesting_name               ISO name of the requesting country
--   partner                       alpha-2 code of the partner country
--   partner_name                  ISO name of the partner country
--   channel                       channel id (see cooperation_channels)
--   rank                          order of preference, lower first
--   channel_name                  the channel's name
--   legal_basis                   instrument and articles
--   reason                        why it applies to this pair
--   uncertain                     1 when it rests on reference facts flagged UNCERTAIN,
--                                 on recall, or on facts the reference data lacks
--   dual_criminality              what the instrument says about dual criminality
CREATE VIEW IF NOT EXISTS cooperation AS
SELECT
    requesting, requesting_name, partner, partner_name, channel, rank, channel_name, legal_basis,
    reason, uncertain, dual_criminality
FROM
(
    SELECT
        r_iso2 AS requesting,
        r_name AS requesting_name,
        p_iso2 AS partner,
        p_name AS partner_name,
        ch.1 AS channel,
        ch.3 AS reason,
        ch.4 AS uncertain
    FROM
    (
        SELECT *,
            concat(r_name, ' and ', p_name) AS both,
            toUInt8((r_eio AND p_eio) OR (r_bud = 'party' AND p_bud = 'party')) AS direct
        FROM
        (
            SELECT iso2 AS r_iso2, name AS r_name, eu_member AS r_eu, eio AS r_eio, europol AS r_europol,
                budapest AS r_bud, budapest_uncertain AS r_bud_unc, budapest_p2 AS r_p2, budapest_p2_in_force AS r_p2_in_force,
                untoc AS r_untoc
            FROM countries
        )
        CROSS JOIN
        (
            SELECT iso2 AS p_iso2, name AS p_name, eu_member AS p_eu, eio AS p_eio, europol AS p_europol,
                budapest AS p_bud, budapest_uncertain AS p_bud_unc, budapest_p2 AS p_p2, budapest_p2_in_force AS p_p2_in_force,
                untoc AS p_untoc
            FROM countries
        )
        WHERE r_iso2 != p_iso2
    )
    ARRAY JOIN arrayFilter(x -> x.2 = 1, [
        tuple('eio', toUInt8(r_eio AND p_eio), concat(both, ' are both bound by the EIO Directive'), toUInt8(0)),
        tuple('europol_eurojust', toUInt8(r_eu AND p_eu), concat(both, ' are both EU member states'), toUInt8(0)),
        tuple('jit', toUInt8(r_eu AND p_eu), concat(both, ' are both EU member states'), toUInt8(0)),
        tuple('europol_partner',
            toUInt8(NOT (r_eu AND p_eu) AND ((r_europol = 'member' AND p_europol NOT IN ('', 'member')) OR (p_europol = 'member' AND r_europol NOT IN ('', 'member')))),
            if(r_europol = 'member',
                concat(r_name, ' is a Europol member state; ', p_name, ' has a Europol ', p_europol),
                concat(p_name, ' is a Europol member state; ', r_name, ' has a Europol ', r_europol)),
            toUInt8(if(r_europol = 'member', p_europol, r_europol) = 'working_arrangement')),
        tuple('budapest_preservation', toUInt8(r_bud = 'party' AND p_bud = 'party'),
            concat(both, ' are both parties to the Budapest Convention'), toUInt8(r_bud_unc OR p_bud_unc)),
        tuple('budapest_mla', toUInt8(r_bud = 'party' AND p_bud = 'party'),
            concat(both, ' are both parties to the Budapest Convention'), toUInt8(r_bud_unc OR p_bud_unc)),
        tuple('budapest_protocol2',
            toUInt8(r_bud = 'party' AND p_bud = 'party' AND r_p2 = 'party' AND p_p2 = 'party' AND r_p2_in_force != '' AND p_p2_in_force != ''),
            concat(both, ' have both ratified the Second Additional Protocol, in force for both'), toUInt8(0)),
        tuple('bilateral_mla', toUInt8(NOT direct),
            concat('no EIO or Budapest channel between ', both, ': check for a bilateral MLA treaty'), toUInt8(1)),
        tuple('untoc_art18', toUInt8(NOT direct AND r_untoc != 'nonparty' AND p_untoc != 'nonparty'),
            concat(both, ' are both UNTOC parties',
                if(r_untoc = 'presumed' OR p_untoc = 'presumed', ' (presumed: not among the 2017 non-parties)', '')),
            toUInt8(r_untoc = 'uncertain' OR p_untoc = 'uncertain')),
        tuple('vienna1988_art7', toUInt8(NOT direct),
            concat('no EIO or Budapest channel between ', both, '; 1988 Convention parties not in the reference data (near-universal, verify)'), toUInt8(1)),
        tuple('letters_rogatory', toUInt8(NOT direct),
            concat('no EIO or Budapest channel between ', both), toUInt8(0))
    ]) AS ch
)
ANY LEFT JOIN
(
    SELECT channel, rank, name AS channel_name, legal_basis, dual_criminality FROM cooperation_channels
) USING channel;
