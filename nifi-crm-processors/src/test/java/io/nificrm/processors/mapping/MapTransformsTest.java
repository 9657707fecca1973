package io.nificrm.processors.mapping;

import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.junit.jupiter.api.Test;

import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every value source and transform of a field mapping, on records built in memory. */
class MapTransformsTest {

    /** A record whose field types follow the values (nested maps become nested records). */
    static Record record(Object... namesAndValues) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            values.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return record(values);
    }

    @SuppressWarnings("unchecked")
    static Record record(Map<String, Object> values) {
        List<RecordField> fields = new ArrayList<>();
        Map<String, Object> converted = new LinkedHashMap<>();
        for (var e : values.entrySet()) {
            Object value = e.getValue();
            DataType type = switch (value) {
                case null -> RecordFieldType.STRING.getDataType();
                case Long l -> RecordFieldType.LONG.getDataType();
                case Integer n -> RecordFieldType.INT.getDataType();
                case Double d -> RecordFieldType.DOUBLE.getDataType();
                case Boolean b -> RecordFieldType.BOOLEAN.getDataType();
                case Timestamp t -> RecordFieldType.TIMESTAMP.getDataType();
                case Date d -> RecordFieldType.DATE.getDataType();
                case Map<?, ?> m -> {
                    Record nested = record((Map<String, Object>) m);
                    value = nested;
                    yield RecordFieldType.RECORD.getRecordDataType(nested.getSchema());
                }
                default -> RecordFieldType.STRING.getDataType();
            };
            fields.add(new RecordField(e.getKey(), type, true));
            converted.put(e.getKey(), value);
        }
        RecordSchema schema = new SimpleRecordSchema(fields);
        return new MapRecord(schema, converted);
    }

    static CompiledMapping compile(String... fieldJson) {
        return CompiledMapping.compile(MappingSpecs.parse("{\"name\": \"t\", \"fields\": [" + String.join(",", fieldJson) + "]}"), null, "salt".getBytes());
    }

    /** The value of target field x after mapping the record with one field mapping. */
    static Object map(String fieldJson, Record source) {
        CompiledMapping.Result result = compile(fieldJson).apply(source);
        assertTrue(result.isValid(), () -> "expected a valid record, got " + result.violations());
        return result.record().getValue("x");
    }

    /** The reason the field mapping refuses the record. */
    static String problem(String fieldJson, Record source) {
        CompiledMapping.Result result = compile(fieldJson).apply(source);
        assertFalse(result.isValid(), "expected the record to be refused");
        assertEquals("x", result.violations().get(0).field());
        return result.violations().get(0).reason();
    }

    private static Object transform(String transforms, Object value) {
        return map("{\"target\": \"x\", \"source\": \"v\", \"transforms\": " + transforms + "}", record("v", value));
    }

    // ---- value sources ----

    @Test
    void renamesCopiesTheValue() {
        assertEquals("Ada", map("{\"target\": \"x\", \"source\": \"FirstName\"}", record("FirstName", "Ada")));
    }

    @Test
    void constantsAndDefaults() {
        assertEquals("lead", map("{\"target\": \"x\", \"constant\": \"lead\"}", record("a", "b")));
        assertEquals(42L, map("{\"target\": \"x\", \"constant\": 42, \"type\": \"integer\"}", record("a", "b")));
        assertEquals(true, map("{\"target\": \"x\", \"constant\": true, \"type\": \"boolean\"}", record("a", "b")));
        assertEquals("n/a", map("{\"target\": \"x\", \"source\": \"v\", \"default\": \"n/a\"}", record("v", null)));
        assertEquals("n/a", map("{\"target\": \"x\", \"source\": \"v\", \"default\": \"n/a\"}", record("v", "   ")));
        assertEquals("set", map("{\"target\": \"x\", \"source\": \"v\", \"default\": \"n/a\"}", record("v", "set")));
        assertEquals("only", map("{\"target\": \"x\", \"default\": \"only\"}", record("v", "set")));
        assertEquals(7L, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\", \"default\": \"7\"}", record("v", null)));
    }

    @Test
    void concatenatesSkippingBlanks() {
        String concat = "{\"target\": \"x\", \"sources\": [\"FirstName\", \"MiddleName\", \"LastName\"]}";
        assertEquals("Ada Lovelace", map(concat, record("FirstName", " Ada ", "MiddleName", " ", "LastName", "Lovelace")));
        assertEquals("Lovelace, Ada", map("{\"target\": \"x\", \"sources\": [\"LastName\", \"FirstName\"], \"separator\": \", \"}",
                record("FirstName", "Ada", "LastName", "Lovelace")));
        assertNull(map(concat, record("FirstName", null, "MiddleName", "", "LastName", null)));
    }

    @Test
    void splitsFullNames() {
        String first = "{\"target\": \"x\", \"source\": \"Name\", \"split\": {\"part\": \"first\"}}";
        String last = "{\"target\": \"x\", \"source\": \"Name\", \"split\": {\"part\": \"last\"}}";
        assertEquals("Ada", map(first, record("Name", "Ada Lovelace")));
        assertEquals("Lovelace", map(last, record("Name", "Ada Lovelace")));
        assertEquals("Ada", map(first, record("Name", "Lovelace, Ada")));
        assertEquals("Lovelace", map(last, record("Name", "Lovelace, Ada")));
        assertEquals("Mary Ann", map(first, record("Name", "Mary Ann  van der Berg")));
        assertEquals("van der Berg", map(last, record("Name", "Mary Ann van der Berg")));
        assertNull(map(first, record("Name", "Cher")));
        assertEquals("Cher", map(last, record("Name", "Cher")));
        assertNull(map(last, record("Name", null)));
    }

    @Test
    void readsNestedFieldsAndMaps() {
        Record contact = record("Id", "003", "Account", Map.of("External_Id__c", "A-1", "Owner", Map.of("Email", "o@x.io")));
        assertEquals("A-1", map("{\"target\": \"x\", \"source\": \"Account.External_Id__c\"}", contact));
        assertEquals("o@x.io", map("{\"target\": \"x\", \"source\": \"Account.Owner.Email\"}", contact));
        assertNull(map("{\"target\": \"x\", \"source\": \"Account.Missing.Email\"}", contact));
        Record withMap = record("props", "ignored");
        assertNull(map("{\"target\": \"x\", \"source\": \"props.a\"}", withMap), "a text value has no nested fields");
        assertEquals("Account", compile("{\"target\": \"x\", \"source\": \"Account.External_Id__c\"}").sourceFields().iterator().next());
    }

    @Test
    void recordPathSelectsNestedValuesAndRunsFunctions() {
        Record contact = record("Email", "Ada@Example.COM", "MobilePhone", null, "Phone", "+1 415 555 0134",
                "Account", Map.of("Name", "Acme"));
        assertEquals("Acme", map("{\"target\": \"x\", \"recordPath\": \"/Account/Name\"}", contact));
        assertEquals("+1 415 555 0134", map("{\"target\": \"x\", \"recordPath\": \"coalesce(/MobilePhone, /Phone)\"}", contact));
        assertEquals("example.com", map("{\"target\": \"x\", \"recordPath\": \"toLowerCase(substringAfter(/Email, '@'))\"}", contact));
        assertNull(map("{\"target\": \"x\", \"recordPath\": \"/Account/Missing\"}", contact));
        CompiledMapping compiled = compile("{\"target\": \"x\", \"recordPath\": \"coalesce(/MobilePhone, /Phone)\"}",
                "{\"target\": \"y\", \"recordPath\": \"/Account/Name\"}");
        assertEquals(java.util.Set.of("MobilePhone", "Phone", "Account"), compiled.sourceFields());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> compile("{\"target\": \"x\", \"recordPath\": \"/Account[\"}"));
        assertTrue(e.getMessage().startsWith("Field 'x': recordPath is not a valid RecordPath"), e.getMessage());
    }

    // ---- text transforms ----

    @Test
    void textTransforms() {
        assertEquals("a b", transform("[\"trim\"]", "  a b  "));
        assertEquals("abc", transform("[\"lowercase\"]", "AbC"));
        assertEquals("ABC", transform("[\"uppercase\"]", "AbC"));
        assertEquals("Mary-Ann O'Neil", transform("[\"titlecase\"]", " mARY-ann o'neil "));
        assertEquals("a b c", transform("[\"collapse_spaces\"]", "  a \t b\n  c "));
        assertEquals("4155550134", transform("[\"digits\"]", "(415) 555-0134"));
        assertEquals("ada@example.com", transform("[\"email\"]", "  Ada@Example.COM "));
        assertNull(transform("[\"null_if_blank\"]", "   "));
        assertEquals("abcde", transform("[{\"truncate\": 5}]", "abcdefgh"));
        assertEquals("abc", transform("[{\"truncate\": 5}]", "abc"));
        assertEquals("ACME Inc", transform("[{\"replace\": {\"pattern\": \"[,.]\", \"with\": \"\"}}]", "ACME, Inc."));
        assertEquals("a-b", transform("[\"trim\", \"lowercase\", {\"replace\": {\"pattern\": \"\\\\s+\", \"with\": \"-\"}}]", " A  B "));
        assertEquals(12L, map("{\"target\": \"x\", \"source\": \"v\", \"transforms\": [\"trim\"], \"type\": \"integer\"}",
                record("v", 12L)), "text transforms leave numbers alone");
    }

    @Test
    void domainsOfWebsitesAndEmails() {
        assertEquals("acme.com", transform("[\"domain\"]", "https://www.Acme.com/about?x=1"));
        assertEquals("acme.co.uk", transform("[\"domain\"]", "www.acme.co.uk"));
        assertEquals("acme.io", transform("[\"domain\"]", "acme.io/"));
        assertEquals("acme.io", transform("[\"domain\"]", "Ada@ACME.io"));
        assertEquals("acme.com", transform("[\"domain\"]", "http://user:pw@www.acme.com:8080/x#y"));
        assertEquals("acme.com", transform("[\"domain\"]", " ACME.com?ref=1 "));
    }

    @Test
    void countriesToCodesAndNames() {
        assertEquals("DE", transform("[\"country_code\"]", "Germany"));
        assertEquals("DE", transform("[\"country_code\"]", " de "));
        assertEquals("DE", transform("[\"country_code\"]", "Deutschland"));
        assertEquals("US", transform("[\"country_code\"]", "USA"));
        assertEquals("GB", transform("[\"country_code\"]", "united kingdom"));
        assertEquals("Atlantis", transform("[\"country_code\"]", "Atlantis"), "unknown countries are kept");
        assertEquals("Germany", transform("[\"country_name\"]", "DE"));
        assertEquals("United States", transform("[\"country_name\"]", "usa"));
        assertEquals("Japan", transform("[\"country_name\"]", "JPN"));
        // Every ISO code survives code -> name -> code.
        for (String code : java.util.Locale.getISOCountries()) {
            Object name = transform("[\"country_name\"]", code);
            assertEquals(code, transform("[\"country_code\"]", name), () -> code + " -> " + name);
        }
    }

    @Test
    void numberTransforms() {
        assertEquals(25.0, number("[{\"multiply\": 100}]", 0.25));
        assertEquals(10.0, number("[{\"multiply\": 100}]", 0.1), "exact decimal arithmetic");
        assertEquals(0.3, number("[{\"multiply\": 0.01}]", "30"));
        assertEquals(1235.0, number("[{\"multiply\": 1}]", "1,235"));
        assertEquals(12.35, number("[{\"round\": 2}]", 12.345));
        assertEquals("25", transform("[{\"multiply\": 100}]", 0.25), "as text without a needless fraction");
        assertEquals(13L, map("{\"target\": \"x\", \"source\": \"v\", \"transforms\": [{\"round\": 0}], \"type\": \"integer\"}", record("v", 12.5)));
        assertNull(number("[{\"multiply\": 2}]", null));
        assertEquals("not a number", problem("{\"target\": \"x\", \"source\": \"v\", \"transforms\": [{\"multiply\": 2}]}", record("v", "lots")));
    }

    private static Object number(String transforms, Object value) {
        return map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"decimal\", \"transforms\": " + transforms + "}", record("v", value));
    }

    @Test
    void phonesToE164() {
        String us = "{\"target\": \"x\", \"source\": \"v\", \"transforms\": [\"e164\"]}";
        assertEquals("+14155550134", map(us, record("v", "(415) 555-0134")));
        assertEquals("+14155550134", map(us, record("v", "+1 415.555.0134")));
        assertEquals("+442079460958", map(us, record("v", "0044 20 7946 0958")), "00 is an international prefix");
        String byCountry = "{\"target\": \"x\", \"source\": \"v\", \"transforms\": [{\"e164\": {\"regionField\": \"Country\", \"defaultRegion\": \"US\"}}]}";
        assertEquals("+442079460958", map(byCountry, record("v", "020 7946 0958", "Country", "GB")));
        assertEquals("+442079460958", map(byCountry, record("v", "020 7946 0958", "Country", "United Kingdom")));
        assertEquals("+493012345678", map(byCountry, record("v", "030 12345678", "Country", "Deutschland")));
        assertEquals("not a valid phone number for region US", problem(us, record("v", "555-0134-99")));
        assertTrue(problem(us, record("v", "call me")).startsWith("not a phone number"));
        String lenient = "{\"target\": \"x\", \"source\": \"v\", \"transforms\": [{\"e164\": {\"validate\": \"possible\"}}]}";
        assertEquals("+11235550134", map(lenient, record("v", "123-555-0134")), "possible though no such area code");
        String keep = "{\"target\": \"x\", \"source\": \"v\", \"transforms\": [{\"e164\": {\"onInvalid\": \"keep\"}}]}";
        assertEquals("call me", map(keep, record("v", "call me")));
        String toNull = "{\"target\": \"x\", \"source\": \"v\", \"transforms\": [{\"e164\": {\"onInvalid\": \"null\"}}]}";
        assertNull(map(toNull, record("v", "call me")));
    }

    // ---- value maps ----

    @Test
    void valueMapsWithEveryUnmappedPolicy() {
        String map = "\"valueMap\": {\"Web\": \"1\", \"Phone Inquiry\": \"2\", \"Other\": \"5\"}";
        assertEquals("2", map("{\"target\": \"x\", \"source\": \"v\", " + map + "}", record("v", " phone inquiry ")), "keys ignore case and blanks");
        assertEquals("Fax", map("{\"target\": \"x\", \"source\": \"v\", " + map + "}", record("v", "Fax")), "keep is the default");
        assertNull(map("{\"target\": \"x\", \"source\": \"v\", " + map + ", \"unmappedValues\": \"null\"}", record("v", "Fax")));
        assertEquals("5", map("{\"target\": \"x\", \"source\": \"v\", " + map + ", \"unmappedValues\": \"default\", \"default\": \"5\"}", record("v", "Fax")));
        assertEquals("5", map("{\"target\": \"x\", \"source\": \"v\", " + map + ", \"unmappedValues\": \"default\", \"default\": \"5\"}", record("v", null)),
                "an empty value takes the default too");
        assertEquals("value is not in the value map",
                problem("{\"target\": \"x\", \"source\": \"v\", " + map + ", \"unmappedValues\": \"error\"}", record("v", "Fax")));
        assertNull(map("{\"target\": \"x\", \"source\": \"v\", " + map + ", \"unmappedValues\": \"error\"}", record("v", null)),
                "an empty value is not an unmapped one");
        assertEquals("1", map("{\"target\": \"x\", \"source\": \"v\", \"valueMap\": {\"1\": \"1\"}}", record("v", 1L)), "numbers are looked up as text");
    }

    // ---- types ----

    @Test
    void stringsAndNumbers() {
        assertEquals(1234L, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\"}", record("v", " 1,234 ")));
        assertEquals(12L, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\"}", record("v", 12.0)));
        assertEquals(12L, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\"}", record("v", "12.00")));
        assertEquals(12.5, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"decimal\"}", record("v", "12.5")));
        assertEquals(3.0, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"decimal\"}", record("v", 3L)));
        assertEquals("12.5", map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"string\"}", record("v", 12.5)));
        assertEquals("18456075", map("{\"target\": \"x\", \"source\": \"v\"}", record("v", 1.8456075E7)), "doubles as plain text");
        assertEquals("42", map("{\"target\": \"x\", \"source\": \"v\"}", record("v", 42L)));
        assertNull(map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\"}", record("v", "  ")), "blank text is no number");
        assertEquals("not a valid integer number", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\"}", record("v", "12.5")));
        assertEquals("not a valid integer number", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"integer\"}", record("v", "twelve")));
        assertEquals("not a valid decimal number", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"decimal\"}", record("v", "n/a")));
        assertEquals("not a valid decimal number", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"decimal\"}", record("v", true)));
    }

    @Test
    void booleans() {
        for (String yes : List.of("true", "Yes", "y", "1", "ON")) {
            assertEquals(true, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"boolean\"}", record("v", yes)), yes);
        }
        for (String no : List.of("false", "No", "n", "0", "off")) {
            assertEquals(false, map("{\"target\": \"x\", \"source\": \"v\", \"type\": \"boolean\"}", record("v", no)), no);
        }
        assertEquals("true", map("{\"target\": \"x\", \"source\": \"v\"}", record("v", true)));
        assertEquals("not a boolean (true/false, yes/no, 1/0)", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"boolean\"}", record("v", "maybe")));
    }

    @Test
    void datesWithFormats() {
        String date = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"date\", \"formats\": [\"MM/dd/yyyy\", \"d MMM yyyy\", \"dd.MM.yyyy\", \"yyyyMMdd\"]}";
        Date expected = Date.valueOf(LocalDate.of(2018, 8, 26));
        for (String text : List.of("2018-08-26", "08/26/2018", "26 Aug 2018", "26.08.2018", "20180826", "2018-08-26T10:15:00")) {
            assertEquals(expected, map(date, record("v", text)), text);
        }
        assertEquals(expected, map(date, record("v", "2018-08-26T23:30:00Z")), "an instant's day in the zone (UTC by default)");
        String paris = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"date\", \"zone\": \"Asia/Tokyo\"}";
        assertEquals(Date.valueOf(LocalDate.of(2018, 8, 27)), map(paris, record("v", "2018-08-26T23:30:00Z")));
        assertEquals(expected, map(date, record("v", Date.valueOf(LocalDate.of(2018, 8, 26)))));
        assertEquals(expected, map(date, record("v", Timestamp.from(Instant.parse("2018-08-26T12:00:00Z")))));
        assertEquals("not a valid date (expected ISO-8601 or one of the configured formats)", problem(date, record("v", "26/08/2018")));
        assertEquals("not a valid date (expected ISO-8601)", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"date\"}", record("v", "yesterday")));
        assertEquals("not a valid date (expected ISO-8601)", problem("{\"target\": \"x\", \"source\": \"v\", \"type\": \"date\"}", record("v", "2018-02-30")));
        assertEquals("not a valid date (expected ISO-8601 or one of the configured formats)", problem(date, record("v", "02/30/2018")),
                "patterns resolve strictly too");
    }

    @Test
    void dateTimesWithFormatsAndZones() {
        Timestamp noonUtc = Timestamp.from(Instant.parse("2024-03-05T12:00:00Z"));
        String utc = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"datetime\"}";
        assertEquals(noonUtc, map(utc, record("v", "2024-03-05T12:00:00Z")));
        assertEquals(noonUtc, map(utc, record("v", "2024-03-05T14:00:00+02:00")));
        assertEquals(noonUtc, map(utc, record("v", "2024-03-05T14:00:00+0200")));
        assertEquals(noonUtc, map(utc, record("v", "2024-03-05 12:00:00")), "a space for the T, no offset: UTC");
        assertEquals(noonUtc, map(utc, record("v", "2024-03-05T12:00:00.000")));
        assertEquals(noonUtc, map(utc, record("v", noonUtc.getTime())), "epoch milliseconds");
        assertEquals(noonUtc, map(utc, record("v", Long.toString(noonUtc.getTime()))), "epoch milliseconds as text");
        assertEquals(Timestamp.from(Instant.parse("2024-03-05T00:00:00Z")), map(utc, record("v", "2024-03-05")), "a date is its midnight");
        String berlin = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"datetime\", \"zone\": \"Europe/Berlin\", \"formats\": [\"dd.MM.yyyy HH:mm\"]}";
        assertEquals(Timestamp.from(Instant.parse("2024-03-05T11:00:00Z")), map(berlin, record("v", "05.03.2024 12:00")));
        assertEquals(Timestamp.from(Instant.parse("2024-07-05T10:00:00Z")), map(berlin, record("v", "05.07.2024 12:00")), "summer time");
        assertEquals(noonUtc, map(berlin, record("v", "2024-03-05T12:00:00Z")), "an explicit offset wins over the zone");
        String offset = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"datetime\", \"zone\": \"-05:00\"}";
        assertEquals(Timestamp.from(Instant.parse("2024-03-05T17:00:00Z")), map(offset, record("v", "2024-03-05T12:00:00")));
        assertEquals("2024-03-05T12:00:00Z", map("{\"target\": \"x\", \"source\": \"v\"}", record("v", noonUtc)), "date-times as ISO text");
        assertEquals("not a valid datetime (expected ISO-8601 or one of the configured formats)", problem(berlin, record("v", "5 March 2024")));
    }

    @Test
    void isoShapesReadByHand() {
        String paris = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"datetime\", \"zone\": \"Europe/Paris\"}";
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("2024-03-05T12:00", "2024-03-05T11:00:00Z");
        expected.put("2024-03-05 12:00:30", "2024-03-05T11:00:30Z");
        expected.put("2024-03-05T12:00:30.5", "2024-03-05T11:00:30.500Z");
        expected.put("2024-03-05T12:00:30.123456789", "2024-03-05T11:00:30.123456789Z");
        expected.put("2024-03-05T12:00:30Z", "2024-03-05T12:00:30Z");
        expected.put("2024-03-05T12:00:30.250Z", "2024-03-05T12:00:30.250Z");
        expected.put("2024-03-05T12:00:30+05:30", "2024-03-05T06:30:30Z");
        expected.put("2024-03-05T12:00:30-0800", "2024-03-05T20:00:30Z");
        expected.put("2024-12-31T23:59:59.999-11:00", "2025-01-01T10:59:59.999Z");
        expected.put("2024-07-05", "2024-07-04T22:00:00Z");
        expected.forEach((text, instant) ->
                assertEquals(Instant.parse(instant), ((Timestamp) map(paris, record("v", text))).toInstant(), text));
        String date = "{\"target\": \"x\", \"source\": \"v\", \"type\": \"date\"}";
        for (String bad : List.of("2024-13-01", "2024-03-05T25:00", "2024-03-05T12:00:00+5", "2024-3-5", "2024-03-05T12")) {
            assertEquals("not a valid date (expected ISO-8601)", problem(date, record("v", bad)), bad);
        }
    }

    @Test
    void theDocumentedExampleCompilesAndMaps() throws Exception {
        String doc;
        try (var in = MapTransformsTest.class.getResourceAsStream("/docs/io.nificrm.processors.MapCrmFields/additionalDetails.md")) {
            doc = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        int start = doc.indexOf("```json") + "```json".length();
        String json = doc.substring(start, doc.indexOf("```", start));
        CompiledMapping mapping = CompiledMapping.compile(MappingSpecs.parse(json), null, "salt".getBytes());
        Record contact = record("Id", "003A", "Email", " Ada@Example.com", "Phone", "020 7946 0958", "MailingCountry", "GB",
                "Name", "Lovelace, Ada", "FirstName", "Ada", "LastName", "Lovelace", "Industry", "Technology", "Birthdate", "10.12.1815",
                "Close", "2024-03-05 12:00", "Probability", "25", "AccountId", "001A", "Account", Map.of("Name", "Analytical Engines"));
        CompiledMapping.Result result = mapping.apply(contact);
        assertTrue(result.isValid(), result.violations().toString());
        Record out = result.record();
        assertEquals("+442079460958", out.getValue("phone"));
        assertEquals("Ada", out.getValue("firstname"));
        assertEquals("United Kingdom", out.getValue("country"));
        assertEquals("COMPUTER_SOFTWARE", out.getValue("industry"));
        assertEquals(0.25, out.getValue("hs_deal_probability"));
        assertEquals("Analytical Engines", out.getValue("company"));
        assertEquals(Timestamp.from(Instant.parse("2024-03-05T11:00:00Z")), out.getValue("closedate"));
        assertEquals(64, out.getValue("email_hash").toString().length());
    }

    // ---- order and compile errors ----

    @Test
    void stepsRunInTheDocumentedOrder() {
        // concatenation, transforms, value map, type conversion, default
        String spec = "{\"target\": \"x\", \"sources\": [\"a\", \"b\"], \"separator\": \"-\", \"transforms\": [\"uppercase\"], "
                + "\"valueMap\": {\"X-Y\": \"7\"}, \"type\": \"integer\", \"default\": 0}";
        assertEquals(7L, map(spec, record("a", "x", "b", "y")));
        assertEquals(0L, map(spec, record("a", null, "b", null)));
    }

    @Test
    void compileErrorsNameTheField() {
        assertMessage("Field 'x': give only one of source, sources, recordPath, constant",
                "{\"target\": \"x\", \"source\": \"a\", \"constant\": 1}");
        assertMessage("Field 'x': needs a source, sources, recordPath, constant or default", "{\"target\": \"x\"}");
        assertMessage("Field 'x': truncate needs a positive length, e.g. {\"truncate\": 40}",
                "{\"target\": \"x\", \"source\": \"a\", \"transforms\": [{\"truncate\": 0}]}");
        assertMessage("Field 'x': multiply needs a number, e.g. {\"multiply\": 100}",
                "{\"target\": \"x\", \"source\": \"a\", \"transforms\": [{\"multiply\": \"ten\"}]}");
        assertMessage("Field 'x': e164 defaultRegion 'XX' is not an ISO country code",
                "{\"target\": \"x\", \"source\": \"a\", \"transforms\": [{\"e164\": {\"defaultRegion\": \"XX\"}}]}");
        assertMessage("Field 'x': e164 onInvalid is 'error', 'keep' or 'null', not 'drop'",
                "{\"target\": \"x\", \"source\": \"a\", \"transforms\": [{\"e164\": {\"onInvalid\": \"drop\"}}]}");
        assertMessage("Field 'x': unknown type 'money' (known: string, integer, decimal, boolean, date, datetime)",
                "{\"target\": \"x\", \"source\": \"a\", \"type\": \"money\"}");
        assertMessage("Field 'x': unmappedValues needs a valueMap", "{\"target\": \"x\", \"source\": \"a\", \"unmappedValues\": \"error\"}");
        assertMessage("Field 'x': unmappedValues 'default' needs a default",
                "{\"target\": \"x\", \"source\": \"a\", \"valueMap\": {\"a\": \"b\"}, \"unmappedValues\": \"default\"}");
        assertMessage("Field 'x': the value map has 'A' twice (keys ignore case)",
                "{\"target\": \"x\", \"source\": \"a\", \"valueMap\": {\"a\": \"1\", \"A\": \"2\"}}");
        assertMessage("Field 'x': the default is not a valid integer number", "{\"target\": \"x\", \"source\": \"a\", \"type\": \"integer\", \"default\": \"many\"}");
        assertMessage("Field 'x': split needs {\"part\": \"first\"} or {\"part\": \"last\"}",
                "{\"target\": \"x\", \"source\": \"a\", \"split\": {\"part\": \"middle\"}}");
        assertMessage("Field 'x': format is email or phone, not 'url'", "{\"target\": \"x\", \"source\": \"a\", \"format\": \"url\"}");
        assertMessage("Field 'x' is mapped twice", "{\"target\": \"x\", \"source\": \"a\"}", "{\"target\": \"x\", \"source\": \"b\"}");
        assertMessage("Field 'x': '.a' is not a field name or a dotted path", "{\"target\": \"x\", \"source\": \".a\"}");
    }

    private static void assertMessage(String expected, String... fields) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> compile(fields));
        assertEquals(expected, e.getMessage());
    }
}
