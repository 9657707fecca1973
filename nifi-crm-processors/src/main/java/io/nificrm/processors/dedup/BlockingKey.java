package io.nificrm.processors.dedup;

import org.apache.commons.codec.language.DoubleMetaphone;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The blocking keys an operator may choose. Only records that share at least one key value are compared, which
 * keeps the work near-linear in the number of records. Each key emits zero or more 64-bit hashes per record;
 * blank values emit nothing (records without an e-mail never meet through the e-mail key).
 */
public enum BlockingKey {
    EMAIL("email", "the normalized e-mail address", EnumSet.allOf(EntityType.class)),
    EMAIL_LOCAL("email_local", "the part of a valid e-mail before the @ (finds work and personal addresses of one person); "
            + "role mailboxes such as info@ or sales@ are left out", EnumSet.of(EntityType.PERSON)),
    PHONE("phone", "each phone number, normalized to country code and national number", EnumSet.allOf(EntityType.class)),
    NAME("name", "the Double Metaphone code of the last name plus the initial of the first name (nicknames read as "
            + "their formal name: Bob as R)", EnumSet.of(EntityType.PERSON)),
    LAST_NAME("last_name", "the Double Metaphone code of the last name alone (large blocks: relies on the block cap)",
            EnumSet.of(EntityType.PERSON)),
    COMPANY_NAME("company_name", "the normalized company name, legal forms removed (Acme Inc. = ACME)", EnumSet.of(EntityType.COMPANY)),
    DOMAIN("domain", "the company's web domain (from the website, else a non-personal e-mail domain)", EnumSet.of(EntityType.COMPANY)),
    ADDRESS("address", "the normalized street address with the city", EnumSet.allOf(EntityType.class));

    /** Internal key: two records with the same id are the same record (sent twice, or again in a later batch). */
    static final int ID_KEY_TAG = 0x7f;

    private static final DoubleMetaphone METAPHONE = new DoubleMetaphone();

    private final String value;
    private final String description;
    private final Set<EntityType> entities;

    BlockingKey(String value, String description, Set<EntityType> entities) {
        this.value = value;
        this.description = description;
        this.entities = entities;
    }

    public String value() {
        return value;
    }

    public String description() {
        return description;
    }

    public boolean appliesTo(EntityType entity) {
        return entities.contains(entity);
    }

    /** Receives key hashes. */
    @FunctionalInterface
    public interface Sink {
        void accept(long hash);
    }

    /** Emits this key's hashes for a record. */
    public void emit(Features f, Sink sink) {
        switch (this) {
            case EMAIL -> {
                if (f.email != null) {
                    sink.accept(hash(ordinal(), f.email));
                }
            }
            case EMAIL_LOCAL -> {
                String local = f.emailValid ? Normalize.emailLocal(f.email) : null;
                if (local != null && local.length() >= 3 && !Normalize.ROLE_MAILBOXES.contains(local)) {
                    sink.accept(hash(ordinal(), local));
                }
            }
            case PHONE -> {
                for (long phone : f.phones) {
                    sink.accept(mix(ordinal() * 0x9E3779B97F4A7C15L ^ phone));
                }
            }
            case NAME -> {
                String code = phonetic(f.last);
                char initial = Nicknames.blockingInitial(f.first);
                if (code != null && initial != 0) {
                    sink.accept(hash(ordinal(), code + ' ' + initial));
                }
            }
            case LAST_NAME -> {
                String code = phonetic(f.last);
                if (code != null) {
                    sink.accept(hash(ordinal(), code));
                }
            }
            case COMPANY_NAME -> {
                if (f.company != null) {
                    sink.accept(hash(ordinal(), f.company));
                }
            }
            case DOMAIN -> {
                if (f.domain != null) {
                    sink.accept(hash(ordinal(), f.domain));
                }
            }
            case ADDRESS -> {
                if (f.street != null) {
                    sink.accept(hash(ordinal(), f.street + '|' + (f.city == null ? "" : f.city)));
                }
            }
            default -> throw new IllegalStateException(name());
        }
    }

    /** The internal id key of a record. */
    static long idHash(String id) {
        return hash(ID_KEY_TAG, id);
    }

    /** Double Metaphone primary code of a normalized name, spaces removed (van der Berg = VNTR). */
    static String phonetic(String name) {
        if (name == null) {
            return null;
        }
        String cached = PHONETIC_CACHE.get(name);
        if (cached != null) {
            return cached;
        }
        String letters = name.indexOf(' ') >= 0 ? name.replace(" ", "") : name;
        String code = METAPHONE.doubleMetaphone(letters);
        code = code == null || code.isEmpty() ? letters : code;
        if (PHONETIC_CACHE.size() < PHONETIC_CACHE_LIMIT) {
            PHONETIC_CACHE.put(name, code);
        }
        return code;
    }

    /** Surnames repeat a lot; their codes are cached (bounded, shared by all processors of the JVM). */
    private static final java.util.concurrent.ConcurrentHashMap<String, String> PHONETIC_CACHE = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int PHONETIC_CACHE_LIMIT = 100_000;

    /** Parses a comma-separated list of key names; throws IllegalArgumentException naming unknown or unfit keys. */
    public static List<BlockingKey> parse(String list, EntityType entity) {
        if (list == null || list.isBlank()) {
            return entity.defaultKeys();
        }
        List<BlockingKey> keys = new ArrayList<>();
        for (String part : list.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            BlockingKey key = null;
            for (BlockingKey k : values()) {
                if (k.value.equals(name)) {
                    key = k;
                }
            }
            if (key == null) {
                throw new IllegalArgumentException("'" + name + "' is not a blocking key; known keys: " + names());
            }
            if (!key.appliesTo(entity)) {
                throw new IllegalArgumentException("blocking key '" + name + "' does not apply to entity type " + entity.value());
            }
            if (!keys.contains(key)) {
                keys.add(key);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("name at least one blocking key");
        }
        return List.copyOf(keys);
    }

    static String names() {
        List<String> names = new ArrayList<>();
        for (BlockingKey k : values()) {
            names.add(k.value);
        }
        return String.join(", ", names);
    }

    /** A 64-bit hash of a tagged string (FNV-1a over the characters, finished with MurmurHash3's fmix64). */
    static long hash(int tag, String s) {
        long h = 0xcbf29ce484222325L ^ tag;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
