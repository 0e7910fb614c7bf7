-- Exits: the duplicate window asks whether a card left after its last
-- pass, and an exit whether the card already left; one seek per card, as
-- for passes.
CREATE INDEX checkins_exit_by_card ON checkins (card_id, at_ns) WHERE decision = 'exit';
