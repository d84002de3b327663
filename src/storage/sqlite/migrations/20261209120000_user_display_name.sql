-- The display name a user chose on the profile page (/account/profile).
-- NULL: none chosen; the homeserver then keeps whatever it has.
ALTER TABLE users ADD COLUMN display_name TEXT;
