-- Schema 8 (PostgreSQL only): nodes sharing the database hear of identity and policy changes at
-- once. A change to principals, keys, groups, roles, policies or a repository's policy notifies
-- channel `berth_iam`; every node listens and forgets what it cached.
CREATE FUNCTION berth_iam_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('berth_iam', TG_TABLE_NAME);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER principals_changed AFTER INSERT OR UPDATE OR DELETE ON principals
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
-- not on last_used_at, which authentication keeps writing
CREATE TRIGGER access_keys_changed AFTER INSERT OR DELETE OR UPDATE OF status, secret_sealed
    ON access_keys FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER iam_groups_changed AFTER INSERT OR UPDATE OR DELETE ON iam_groups
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER iam_group_members_changed AFTER INSERT OR UPDATE OR DELETE ON iam_group_members
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER iam_roles_changed AFTER INSERT OR UPDATE OR DELETE ON iam_roles
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER iam_inline_policies_changed AFTER INSERT OR UPDATE OR DELETE ON iam_inline_policies
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER iam_managed_policies_changed AFTER INSERT OR UPDATE OR DELETE ON iam_managed_policies
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER iam_attachments_changed AFTER INSERT OR UPDATE OR DELETE ON iam_attachments
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER registry_policies_changed AFTER INSERT OR UPDATE OR DELETE ON registry_policies
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER account_settings_changed AFTER INSERT OR UPDATE OR DELETE ON account_settings
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
CREATE TRIGGER repositories_changed AFTER DELETE OR UPDATE OF policy ON repositories
    FOR EACH STATEMENT EXECUTE FUNCTION berth_iam_changed();
