// Internal: the Lua scripts of the Redis service's "database" isolation. A
// claimed logical database is recorded in a hash in the URL's own database
// (field: the database's number, value: the space's name); a database is
// claimed only when it is empty and unrecorded, and flushed only while the
// record names the space that claimed it. A `SELECT` inside a script changes
// the script's database only, never the connection's.

/** The hash that records claimed databases, in the URL's database. */
export const REGISTRY = "itkit:databases";

/**
 * KEYS[1] the registry; ARGV[1] the space's name, ARGV[2] the URL's database.
 * Returns the claimed database, or -1 when none is free.
 */
export const CLAIM = `
local registry, name, home = KEYS[1], ARGV[1], tonumber(ARGV[2])
local claimed = {}
for _, db in ipairs(redis.call('HKEYS', registry)) do claimed[db] = true end
for db = 0, 1023 do
  if db ~= home and not claimed[tostring(db)] then
    local selected = redis.pcall('SELECT', db)
    if type(selected) == 'table' and selected.err then break end
    if redis.call('DBSIZE') == 0 then
      redis.call('SELECT', home)
      redis.call('HSET', registry, tostring(db), name)
      return db
    end
  end
end
return -1
`;

/**
 * KEYS[1] the registry; ARGV[1] the space's name, ARGV[2] the URL's database.
 * Flushes the database the space claimed and forgets it; returns 1, or 0
 * when the space claimed none.
 */
export const RELEASE = `
local registry, name, home = KEYS[1], ARGV[1], tonumber(ARGV[2])
local claims = redis.call('HGETALL', registry)
for i = 1, #claims, 2 do
  if claims[i + 1] == name then
    redis.call('SELECT', tonumber(claims[i]))
    redis.call('FLUSHDB')
    redis.call('SELECT', home)
    redis.call('HDEL', registry, claims[i])
    return 1
  end
end
return 0
`;

/**
 * KEYS[1] the registry; ARGV[1] the space's name, ARGV[2] its database,
 * ARGV[3] the URL's database. Flushes the database while it is recorded as
 * the space's (for its module's next test: it stays claimed); returns 1, or 0
 * when it is not the space's.
 */
export const EMPTY = `
local registry, name, db, home = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
redis.call('SELECT', home)
if redis.call('HGET', registry, db) ~= name then return 0 end
redis.call('SELECT', tonumber(db))
redis.call('FLUSHDB')
return 1
`;
