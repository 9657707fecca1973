package io.nificrm.processors.dedup;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups of English given names that stand for the same person (Robert, Bob, Bobby, Rob). A name may belong to
 * several groups (Chris: Christopher and Christina); two first names are nickname-equivalent when their groups
 * intersect. Names are in {@link Normalize#name} form.
 */
public final class Nicknames {
    private Nicknames() {
    }

    private static final List<String> GROUPS = List.of(
            "robert bob bobby rob robbie bert", "william bill billy will willie liam", "richard rick ricky dick rich richie",
            "michael mike mikey mick", "james jim jimmy jamie", "joseph joe joey", "thomas tom tommy",
            "christopher chris kit topher", "christina christine kristina kristine chris tina chrissy",
            "daniel dan danny", "danielle daniela dani", "matthew matt matty", "anthony tony", "elizabeth liz lizzie beth betty eliza libby betsy",
            "jennifer jen jenny", "katherine catherine kathryn katharine kate katie kathy cathy kat kay",
            "margaret maggie meg peggy marge margie greta", "patricia pat patty trish tricia", "patrick pat paddy",
            "steven stephen steve stevie", "andrew andy drew", "jonathan jon jonny", "john johnny jack jon",
            "samuel sam sammy", "samantha sam sammy", "alexander alex al sandy xander", "alexandra alex lexi sandra sandy",
            "benjamin ben benny", "nicholas nick nicky", "rebecca becky becca", "victoria vicky tori",
            "gregory greg", "timothy tim timmy", "edward ed eddie ted ned", "charles charlie chuck chas",
            "david dave davey", "donald don donnie", "kenneth ken kenny", "ronald ron ronnie", "lawrence larry",
            "gerald jerry", "jerome jerry", "frederick fred freddie", "alfred alf fred", "henry hank harry",
            "harold harry hal", "albert al bert", "peter pete", "philip phillip phil", "raymond ray", "jacob jake",
            "zachary zach zack", "nathan nathaniel nate nat", "natalie nat", "joshua josh", "jeffrey jeff",
            "douglas doug", "walter walt", "eugene gene", "vincent vince", "russell russ", "randall randolph randy",
            "louis lou", "francis frank fran", "frances fran frannie", "susan sue susie", "deborah debra deb debbie",
            "barbara barb barbie", "dorothy dot dottie", "pamela pam", "cynthia cindy", "kimberly kim",
            "abigail abby", "amanda mandy", "judith judy", "theresa teresa terry tess", "jacqueline jackie",
            "stephanie steph", "melissa mel missy", "jessica jess jessie", "isabella isabel izzy bella",
            "olivia liv", "madison maddie", "michelle shelly", "anne ann anna annie nan", "mary molly polly mae",
            "sarah sara sally", "leonard leo len lenny", "gabriel gabe", "gabriella gabrielle gabby", "kevin kev",
            "terrence terence terry", "mathew matt", "stanley stan", "bradley brad", "cameron cam",
            "jeremiah jeremy jerry", "nicole nicky nikki", "valerie val", "virginia ginny ginger", "eleanor ellie nora",
            "helen nell nellie", "carolyn caroline carol carrie", "christian chris", "sebastian seb",
            "maximilian max", "maxwell max", "giovanni gianni", "giuseppe beppe", "francesco franco", "alejandro alex",
            "guillermo memo", "jose pepe", "francisco paco pancho", "roberto beto", "alberto beto");

    private static final Map<String, int[]> GROUPS_OF = build();

    private static Map<String, int[]> build() {
        Map<String, int[]> map = new HashMap<>();
        for (int g = 0; g < GROUPS.size(); g++) {
            for (String name : GROUPS.get(g).split(" ")) {
                int[] old = map.get(name);
                int[] now = old == null ? new int[1] : java.util.Arrays.copyOf(old, old.length + 1);
                now[now.length - 1] = g;
                map.put(name, now);
            }
        }
        return Map.copyOf(map);
    }

    /** Whether two different normalized first names are nicknames of one name (bob and robert, liz and beth). */
    public static boolean equivalent(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        int[] ga = GROUPS_OF.get(a);
        if (ga == null) {
            return false;
        }
        int[] gb = GROUPS_OF.get(b);
        if (gb == null) {
            return false;
        }
        for (int x : ga) {
            for (int y : gb) {
                if (x == y) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A key shared by all names of the name's first group (the initial of the formal name), for blocking. */
    public static char blockingInitial(String name) {
        if (name == null || name.isEmpty()) {
            return 0;
        }
        int[] groups = GROUPS_OF.get(name);
        return groups == null ? name.charAt(0) : GROUPS.get(groups[0]).charAt(0);
    }
}
