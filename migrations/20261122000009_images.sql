-- Product images: a stable reason code for rejections (the API shows {code, detail}) and the
-- dimensions of the oriented original.
ALTER TABLE product_images
    ADD COLUMN reason_code TEXT,
    ADD COLUMN width       INTEGER,
    ADD COLUMN height      INTEGER,
    ADD COLUMN updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT product_images_ready_check
        CHECK (status <> 'ready' OR (sha256 IS NOT NULL AND width IS NOT NULL AND height IS NOT NULL)),
    ADD CONSTRAINT product_images_rejected_check
        CHECK (status <> 'rejected' OR reason_code IS NOT NULL);
