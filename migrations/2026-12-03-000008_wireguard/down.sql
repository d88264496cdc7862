ALTER TABLE rigs DROP COLUMN wg_public_key;
ALTER TABLE rigs DROP COLUMN tunnel_address;
DROP TABLE wireguard;
