-- The WireGuard tunnel between rigs and hub (`sairen admin wireguard`): its subnet and the hub's
-- public key (one row), and each rig's tunnel address and public key. Private keys stay on the
-- administrator's machine.
CREATE TABLE wireguard (
    id             BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    subnet         TEXT NOT NULL,
    hub_public_key TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE rigs ADD COLUMN tunnel_address TEXT UNIQUE;
ALTER TABLE rigs ADD COLUMN wg_public_key TEXT;
