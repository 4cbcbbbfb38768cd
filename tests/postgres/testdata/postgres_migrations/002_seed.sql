insert into items (name) values ('migrated');
