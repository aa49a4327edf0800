"""Database schema migrations: the word migrate, and no hypervisor anywhere."""


class Migrator:
    def migrate(self, db, flags=0):
        db.migrate(flags)
        return db.migrateToURI("postgres://x", flags)
