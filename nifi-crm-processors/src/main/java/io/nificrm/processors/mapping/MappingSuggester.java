package io.nificrm.processors.mapping;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import org.apache.commons.text.similarity.JaroWinklerSimilarity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Drafts a mapping spec from a source and a target describe, for an operator to review. Each writable target field
 * gets the source field that matches it best, each source field is used once, best matches first:
 * <ol>
 *   <li>the target's external-id field ({@code External_Id__c}, {@code source_id}, {@code nificrm_sourceid}) gets
 *       the source record id, so upserts by it are idempotent;</li>
 *   <li>the same name, ignoring case, {@code _}, {@code __c} and prefixes like {@code hs_} (score 1.0);</li>
 *   <li>known synonyms across Salesforce, HubSpot, Dataverse and plain databases ({@code Email} ↔
 *       {@code emailaddress1}, {@code Phone} ↔ {@code telephone1}, {@code StageName} ↔ {@code dealstage}...) and
 *       references to the same kind of object (0.95);</li>
 *   <li>the same label (0.9);</li>
 *   <li>one name containing the other, or Jaro-Winkler similarity of names or labels of at least 0.88 (below 0.9).</li>
 * </ol>
 * A pair is only considered when the types fit (text to text, numbers to numbers, dates to dates; text can be
 * converted to anything, at a lower score). Each suggestion carries the transforms its target type calls for
 * (e-mail normalization, E.164 phones, truncation to the target's length) and, for picklists, a value-map skeleton
 * whose unmatched entries are left empty to fill in.
 */
public final class MappingSuggester {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JaroWinklerSimilarity JARO_WINKLER = new JaroWinklerSimilarity();
    private static final double FUZZY_THRESHOLD = 0.88;

    /** Concepts and the normalized field names systems use for them. */
    private static final Map<String, String> SYNONYMS = synonyms(
            "email: email emailaddress emailaddress1 mail workemail",
            "phone: phone telephone telephone1 businessphone phonenumber workphone mainphone",
            "mobile: mobile mobilephone mobilephonenumber cellphone cell",
            "firstname: firstname givenname fname",
            "lastname: lastname surname familyname lname",
            "title: title jobtitle position",
            "city: city mailingcity billingcity address1city addresscity",
            "country: country mailingcountry billingcountry address1country countryregion countrycode",
            "website: website websiteurl url web homepage",
            "company: company companyname organization organisation",
            "industry: industry industrycode",
            "employees: employees numberofemployees employeecount headcount",
            "revenue: revenue annualrevenue",
            "stage: stage stagename dealstage salesstage salesstagecode",
            "amount: amount estimatedvalue dealamount value",
            "closedate: closedate estimatedclosedate expectedclosedate",
            "probability: probability dealprobability closeprobability",
            "birthdate: birthdate dateofbirth birthday",
            "leadsource: leadsource leadsourcecode",
            "signup: signupdate signupdatetext legacysignupdate",
            "dealname: dealname opportunityname topic",
            "accountref: accountid accountsourceid companyid",
            "contactref: contactid contactsourceid",
            "parentref: parentid parentaccountid parentsourceid",
            "created: createddate createdate createdon createdat sourcecreatedat creationdate",
            "modified: lastmodifieddate lastmodified modifiedon modifiedat updatedat sourcemodifiedat sourceupdatedat");

    /** The kind of object a reference concept points to, for references written into plain columns. */
    private static final Map<String, String> REFERENCE_CONCEPTS = Map.of("accountref", "account", "contactref", "contact", "parentref", "account");

    /** Object kinds by the names systems give them, to match references ({@code Account} ↔ {@code companies}). */
    private static final Map<String, String> OBJECT_KINDS = synonyms(
            "account: account accounts company companies organization organisation",
            "contact: contact contacts person people",
            "opportunity: opportunity opportunities deal deals");

    private MappingSuggester() {
    }

    /** One suggested pair: the target field, the source field, why, and how sure (0..1). */
    public record Suggestion(String target, String source, String basis, double score) {
    }

    /**
     * A drafted mapping.
     *
     * @param fields            field mappings in spec form, in target order
     * @param suggestions       the pairs behind them
     * @param unmatched         writable target fields no source field matched
     * @param unmatchedRequired those of them the target requires
     */
    public record Draft(List<ObjectNode> fields, List<Suggestion> suggestions, List<String> unmatched, List<String> unmatchedRequired) {

        /** The field mappings as a JSON array, to paste into a spec's {@code fields}. */
        public String toJson() {
            ArrayNode array = JSON.createArrayNode();
            fields.forEach(array::add);
            return JSON.valueToTree(array).toPrettyString();
        }

        /** A whole spec around the field mappings. */
        public ObjectNode spec(String name, MappingSpec.Endpoint source, MappingSpec.Endpoint target) {
            ObjectNode spec = JSON.createObjectNode();
            spec.put("name", name);
            spec.put("description", "Drafted by MappingSuggester: review every field, fill in empty value-map entries"
                    + (unmatchedRequired.isEmpty() ? "" : ", and map the required target field(s) " + unmatchedRequired));
            if (source != null) {
                spec.set("source", JSON.valueToTree(source));
            }
            if (target != null) {
                spec.set("target", JSON.valueToTree(target));
            }
            ArrayNode array = spec.putArray("fields");
            fields.forEach(array::add);
            return spec;
        }
    }

    /** Drafts mappings for every writable target field. */
    public static Draft suggest(CrmObjectSchema source, CrmObjectSchema target) {
        return suggest(source, target, Set.of(), null);
    }

    /** Drafts mappings for the writable target fields not in {@code alreadyMapped}. */
    public static Draft suggest(CrmObjectSchema source, CrmObjectSchema target, Set<String> alreadyMapped) {
        return suggest(source, target, alreadyMapped, null);
    }

    /**
     * @param targetSystem salesforce, hubspot, dynamics or anything else (jdbc); it decides how references are written
     *                     (Salesforce {@code Account.External_Id__c}, HubSpot {@code associations.companies}, Dataverse
     *                     {@code parentcustomerid.nificrm_sourceid}, the field itself elsewhere); null guesses from
     *                     the target's id field
     */
    public static Draft suggest(CrmObjectSchema source, CrmObjectSchema target, Set<String> alreadyMapped, String targetSystem) {
        String system = targetSystem != null ? targetSystem.toLowerCase(Locale.ROOT) : guessSystem(target);
        List<CrmField> targets = target.fields().stream()
                .filter(f -> !f.readOnly() && f.type() != CrmFieldType.ID && !alreadyMapped.contains(f.name())
                        && !f.name().equals(target.createdField()) && !f.name().equals(target.modifiedField())
                        && !alreadyMapped.contains(referenceTarget(system, target, f)))
                .toList();
        List<CrmField> sources = source.fields().stream()
                .filter(f -> !f.name().equals(source.idField()) && !isExternalIdField(f) && !isBookkeeping(f))
                .toList();
        CrmField sourceId = source.field(source.idField()).orElse(null);

        List<Suggestion> candidates = new ArrayList<>();
        for (CrmField t : targets) {
            if (sourceId != null && isExternalIdField(t)) {
                candidates.add(new Suggestion(t.name(), sourceId.name(), "source record id into the external id", 1.0));
                continue;
            }
            for (CrmField s : sources) {
                double score = score(s, t);
                if (score > 0) {
                    candidates.add(new Suggestion(t.name(), s.name(), basis(s, t), score));
                }
            }
        }
        candidates.sort(Comparator.comparingDouble(Suggestion::score).reversed());
        Map<String, Suggestion> chosen = new HashMap<>();
        Set<String> usedSources = new HashSet<>();
        for (Suggestion c : candidates) {
            if (!chosen.containsKey(c.target()) && (c.source().equals(source.idField()) || usedSources.add(c.source()))) {
                chosen.put(c.target(), c);
            }
        }
        // A domain can come from the website that another field already takes: the same source, reduced to its host.
        String websiteField = sources.stream().filter(f -> "website".equals(concept(f))).map(CrmField::name).findFirst().orElse(null);
        for (CrmField t : targets) {
            if (!chosen.containsKey(t.name()) && "domain".equals(normalize(t.name())) && websiteField != null) {
                chosen.put(t.name(), new Suggestion(t.name(), websiteField, "the website's domain", 0.9));
            }
        }
        String countryField = sources.stream().filter(f -> "country".equals(concept(f))).map(CrmField::name).findFirst().orElse(null);
        List<ObjectNode> fields = new ArrayList<>();
        List<Suggestion> suggestions = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        List<String> unmatchedRequired = new ArrayList<>();
        for (CrmField t : targets) {
            Suggestion s = chosen.get(t.name());
            if (s == null) {
                unmatched.add(t.name());
                if (t.required()) {
                    unmatchedRequired.add(t.name());
                }
                continue;
            }
            suggestions.add(s);
            fields.add(fieldMapping(system, target, t, source.field(s.source()).orElseThrow(), s, countryField));
        }
        return new Draft(List.copyOf(fields), List.copyOf(suggestions), List.copyOf(unmatched), List.copyOf(unmatchedRequired));
    }

    // ---- scoring ----

    private static double score(CrmField s, CrmField t) {
        double fit = typeFit(s, t);
        if (fit == 0) {
            return 0;
        }
        if (s.type() == CrmFieldType.REFERENCE || t.type() == CrmFieldType.REFERENCE) {
            if (s.type() == CrmFieldType.REFERENCE && t.type() == CrmFieldType.REFERENCE) {
                String sk = kind(s.referenceTo());
                return sk != null && sk.equals(kind(t.referenceTo())) ? 0.95 : 0;
            }
            // A reference written into a plain column (a database's account_source_id): by synonym, or by the kind of
            // object it points to.
            String sc = concept(s.name());
            String tc = concept(t.name());
            if (sc != null && sc.equals(tc)) {
                return 0.95;
            }
            String kind = s.type() == CrmFieldType.REFERENCE ? kind(s.referenceTo()) : null;
            return kind != null && tc != null && kind.equals(REFERENCE_CONCEPTS.get(tc)) ? 0.9 : 0;
        }
        String sn = normalize(s.name());
        String tn = normalize(t.name());
        if (sn.equals(tn)) {
            return 1.0 * fit;
        }
        String sc = concept(s);
        String tc = concept(t);
        if (sc != null && sc.equals(tc)) {
            return 0.95 * fit;
        }
        String sl = normalize(s.label());
        String tl = normalize(t.label());
        if (!sl.isEmpty() && sl.equals(tl)) {
            return 0.9 * fit;
        }
        if (sc != null && tc != null) {
            return 0; // both are known concepts, and different ones
        }
        double similarity = Math.max(JARO_WINKLER.apply(sn, tn), JARO_WINKLER.apply(sl, tl));
        boolean contains = Math.min(sn.length(), tn.length()) >= 4 && (sn.contains(tn) || tn.contains(sn));
        if (contains) {
            similarity = Math.max(similarity, 0.89);
        }
        return similarity >= FUZZY_THRESHOLD ? 0.85 * similarity * fit : 0;
    }

    private static String basis(CrmField s, CrmField t) {
        if (s.type() == CrmFieldType.REFERENCE && t.type() == CrmFieldType.REFERENCE) {
            return "both refer to " + kind(t.referenceTo());
        }
        if (s.type() == CrmFieldType.REFERENCE && kind(s.referenceTo()) != null) {
            return "refers to " + kind(s.referenceTo());
        }
        if (normalize(s.name()).equals(normalize(t.name()))) {
            return "same name";
        }
        String sc = concept(s);
        if (sc != null && sc.equals(concept(t))) {
            return "synonyms (" + sc + ")";
        }
        if (normalize(s.label()).equals(normalize(t.label()))) {
            return "same label";
        }
        return "similar name or label";
    }

    /** 1 for types that fit, 0.9 where text converts to the target type, 0 where nothing fits. */
    private static double typeFit(CrmField s, CrmField t) {
        Group sg = group(s.type());
        Group tg = group(t.type());
        if (sg == tg) {
            return 1;
        }
        if (sg == Group.TEXT || tg == Group.TEXT) {
            return sg == Group.TEXT && s.type() == CrmFieldType.PICKLIST || tg == Group.TEXT && t.type() == CrmFieldType.PICKLIST ? 0.95 : 0.9;
        }
        if (sg == Group.DATE && tg == Group.DATE) {
            return 1;
        }
        return 0;
    }

    private enum Group { TEXT, NUMBER, DATE, BOOLEAN }

    private static Group group(CrmFieldType type) {
        return switch (type) {
            case INTEGER, DECIMAL -> Group.NUMBER;
            case DATE, DATETIME -> Group.DATE;
            case BOOLEAN -> Group.BOOLEAN;
            default -> Group.TEXT;
        };
    }

    /** Lower case, letters and digits only, without {@code __c} and the {@code hs_}/{@code nificrm_} prefixes. */
    static String normalize(String name) {
        if (name == null) {
            return "";
        }
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith("__c")) {
            n = n.substring(0, n.length() - 3);
        }
        for (String prefix : List.of("hs_", "nificrm_")) {
            if (n.startsWith(prefix)) {
                n = n.substring(prefix.length());
            }
        }
        StringBuilder b = new StringBuilder(n.length());
        for (char c : n.toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String concept(String name) {
        return SYNONYMS.get(normalize(name));
    }

    /** The concept of a field by its name, else by its label ({@code Name} labelled "Opportunity Name" is a deal name). */
    private static String concept(CrmField field) {
        String byName = concept(field.name());
        return byName != null ? byName : concept(field.label());
    }

    private static String kind(String object) {
        return object == null ? null : OBJECT_KINDS.get(normalize(object));
    }

    private static Map<String, String> synonyms(String... groups) {
        Map<String, String> map = new HashMap<>();
        for (String group : groups) {
            int colon = group.indexOf(':');
            String concept = group.substring(0, colon);
            for (String name : group.substring(colon + 1).trim().split(" ")) {
                map.put(name, concept);
            }
        }
        return Map.copyOf(map);
    }

    /** The target's field for upsert keys: a unique, external-id text field named like source/external id. */
    private static boolean isExternalIdField(CrmField f) {
        String n = normalize(f.name());
        return f.externalId() && f.type().isText() && (n.contains("sourceid") || n.contains("externalid"));
    }

    /** Fields that describe the record's storage rather than the entity. */
    private static boolean isBookkeeping(CrmField f) {
        String n = normalize(f.name());
        return n.equals("isdeleted") || n.equals("versionnumber") || n.equals("systemmodstamp") || n.equals("sourcesystem");
    }

    private static String guessSystem(CrmObjectSchema target) {
        String id = target.idField();
        if (id.equals("Id") && target.field("SystemModstamp").isPresent()) {
            return "salesforce";
        }
        if (id.equals("hs_object_id")) {
            return "hubspot";
        }
        if (id.equals(target.name().toLowerCase(Locale.ROOT) + "id") && target.field("modifiedon").isPresent()) {
            return "dynamics";
        }
        return "jdbc";
    }

    /** Where a reference field is written on each system, by the team's conventions (see the presets). */
    private static String referenceTarget(String system, CrmObjectSchema target, CrmField field) {
        if (field.type() != CrmFieldType.REFERENCE) {
            return field.name();
        }
        return switch (system) {
            case "salesforce" -> field.name().endsWith("Id") && !("Contact".equals(field.referenceTo()) && target.name().equals("Opportunity"))
                    ? field.name().substring(0, field.name().length() - 2) + ".External_Id__c" : field.name();
            case "hubspot" -> field.referenceTo() == null ? field.name() : "associations." + field.referenceTo();
            case "dynamics" -> field.name() + ".nificrm_sourceid";
            default -> field.name();
        };
    }

    // ---- the drafted field mapping ----

    private static ObjectNode fieldMapping(String system, CrmObjectSchema target, CrmField t, CrmField s, Suggestion why, String countryField) {
        ObjectNode field = JSON.createObjectNode();
        String targetName = referenceTarget(system, target, t);
        field.put("target", targetName);
        field.put("source", s.name());
        ArrayNode transforms = JSON.createArrayNode();
        StringBuilder comment = new StringBuilder("suggested: " + why.basis() + String.format(Locale.ROOT, " (%.2f)", why.score()));
        switch (t.type()) {
            case EMAIL -> transforms.add("email").add("null_if_blank");
            case PHONE -> {
                ObjectNode e164 = transforms.addObject().putObject("e164");
                if (countryField != null) {
                    e164.put("regionField", countryField);
                }
                e164.put("validate", "possible").put("onInvalid", "keep");
            }
            case STRING, URL -> {
                if (s.type().isText()) {
                    transforms.add("trim").add("null_if_blank");
                    if ("domain".equals(normalize(t.name())) && "website".equals(concept(s))) {
                        transforms.add("domain");
                    }
                    if (t.length() > 0 && (s.length() == 0 || s.length() > t.length())) {
                        transforms.addObject().put("truncate", t.length());
                    }
                }
            }
            case PICKLIST -> valueMapSkeleton(field, s, t, comment);
            case REFERENCE -> {
                if (!targetName.equals(t.name())) {
                    comment.append("; carries the source parent id, resolved by the target's key");
                } else {
                    comment.append("; holds the parent's id in the target: resolve the source parent id (UpsertCrmRecords reference resolution)");
                }
            }
            case DATE, DATETIME -> {
                if (s.type().isText()) {
                    field.putArray("formats");
                    comment.append("; text source: add its date formats");
                }
            }
            default -> {
            }
        }
        if (!transforms.isEmpty()) {
            field.set("transforms", transforms);
        }
        field.put("comment", comment.toString());
        return field;
    }

    private static void valueMapSkeleton(ObjectNode field, CrmField s, CrmField t, StringBuilder comment) {
        if (s.picklistValues().isEmpty()) {
            if (!t.picklistValues().isEmpty()) {
                comment.append("; the target accepts ").append(t.picklistValues());
            }
            return;
        }
        Map<String, String> map = new LinkedHashMap<>();
        int open = 0;
        for (String value : s.picklistValues()) {
            String best = bestValue(value, t.picklistValues());
            map.put(value, best == null ? "" : best);
            open += best == null ? 1 : 0;
        }
        field.set("valueMap", JSON.valueToTree(map));
        field.put("unmappedValues", "error");
        if (open > 0) {
            comment.append("; fill in ").append(open).append(" empty value-map entr").append(open == 1 ? "y" : "ies")
                    .append(" (the target accepts ").append(t.picklistValues()).append(")");
        }
    }

    private static String bestValue(String value, List<String> candidates) {
        String v = normalize(value);
        String best = null;
        double bestScore = 0.9;
        for (String candidate : candidates) {
            String c = normalize(candidate);
            double score = c.equals(v) ? 1.0 : JARO_WINKLER.apply(v, c);
            if (score >= bestScore) {
                best = candidate;
                bestScore = score;
            }
        }
        return best;
    }
}
