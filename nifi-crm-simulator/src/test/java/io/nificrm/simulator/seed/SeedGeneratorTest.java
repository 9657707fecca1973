package io.nificrm.simulator.seed;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SeedGeneratorTest {

    @Test
    void sameSeedSameDataDifferentSeedDifferentData() {
        SeedData a = SeedGenerator.generate(SeedConfig.ofContacts(2_000));
        SeedData b = SeedGenerator.generate(SeedConfig.ofContacts(2_000));
        SeedData c = SeedGenerator.generate(SeedConfig.ofContacts(2_000).withRandomSeed(7));
        assertEquals(a, b);
        assertTrue(!a.people().equals(c.people()));
    }

    @Test
    void hundredThousandContactsWithTheRequestedShareOfNearDuplicatesAndDirt() {
        SeedData data = SeedGenerator.generate(SeedConfig.ofContacts(100_000));
        assertEquals(100_000, data.people().size());
        assertEquals(10_000, data.companies().size());
        assertEquals(20_000, data.deals().size());

        long duplicates = data.people().stream().filter(p -> !p.key().equals(p.clusterKey())).count();
        assertEquals(10_000, duplicates, "10% near-duplicates, each tied to its original by the cluster key");
        Set<String> originals = new HashSet<>();
        data.people().stream().filter(p -> p.key().equals(p.clusterKey())).forEach(p -> originals.add(p.key()));
        assertTrue(data.people().stream().allMatch(p -> originals.contains(p.clusterKey())), "every cluster has its original");

        long noEmail = data.people().stream().filter(p -> p.email() == null).count();
        long malformed = data.people().stream().filter(p -> p.email() != null && !p.email().trim().matches("[^@\\s]+@[^@\\s]+\\.[A-Za-z]+")).count();
        assertTrue(noEmail > 2_000 && noEmail < 8_000, "some contacts have no e-mail: " + noEmail);
        assertTrue(malformed > 1_000 && malformed < 4_000, "some e-mails are malformed: " + malformed);
        Map<String, Integer> phoneShapes = new HashMap<>();
        data.people().forEach(p -> phoneShapes.merge(p.phone().replaceAll("\\d", "9"), 1, Integer::sum));
        assertTrue(phoneShapes.size() > 10, "phones come in many formats");
        Set<String> signupShapes = new HashSet<>();
        data.people().forEach(p -> signupShapes.add(p.signupDateText().replaceAll("\\d", "9").replaceAll("[A-Za-z]{3}", "Mon")));
        assertTrue(signupShapes.size() >= 5, "signup dates come in mixed formats: " + signupShapes);
    }

    @Test
    void invalidConfigurationsAreRefusedWithAReason() {
        assertThrows(IllegalArgumentException.class, () -> new SeedConfig(0, 10, 5, 0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SeedConfig(1, 10, 5, 0.9, 1));
        assertThrows(IllegalArgumentException.class, () -> new SeedConfig(-1, 10, 0, 0.1, 1));
    }
}
