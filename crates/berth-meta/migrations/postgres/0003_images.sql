-- The media type of an image's config (ECR's artifactMediaType), kept at push so that listing
-- images needs no manifest body.
ALTER TABLE manifests ADD COLUMN config_media_type TEXT COLLATE "C";
