import pytest

from medkg.kg.store.base import ReadOnlyViolation
from medkg.kg.store.cypher_dialect import return_columns, to_ladybug_dialect
from medkg.kg.store.cypher_guard import GuardLimits, check_params, check_read_only


@pytest.mark.parametrize(
    "cypher",
    [
        "MATCH (n) RETURN n",
        "MATCH (n:Disease) WHERE n.name = 'CREATE DELETE' RETURN n.name",
        "MATCH (n) WHERE n.set = 1 RETURN n  // DELETE in a comment",
        "MATCH p=(a)-[*1..3]-(b) RETURN p",
        "MATCH (a)-[:TREATS*2]->(b) RETURN b",
        "CALL show_tables() RETURN *",
        "CALL db.labels()",
        "MATCH (n) RETURN count(*)",
        # what researchers write (README, explorer, docs) passes too
        "MATCH (d:Disease {id: 'DOID:14323'})-[p:PRESENTS]->(s:Symptom)\n"
        "RETURN s.name, p.frequency ORDER BY p.frequency DESC",
        "MATCH (:Disease {id: 'DOID:9352'})-[:IS_A*1..3]->(a) RETURN a.id, a.name",
        "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c",
        "MATCH (d:Drug)-[:TREATS]->(x)<-[:TREATS]-(e:Drug) WHERE d.id < e.id "
        "WITH d, e, count(x) AS n WHERE n > 3 RETURN d.name, e.name, n ORDER BY n DESC",
        "MATCH (d:Disease) OPTIONAL MATCH (d)-[:PRESENTS]->(s) RETURN collect(s.name)[..3]",
        "UNWIND $ids AS id MATCH (n {id: id}) RETURN n.id",
        "MATCH (d:Disease) RETURN CASE WHEN d.source = 'hetionet' THEN 1 ELSE 0 END AS h",
        "MATCH (a:Drug) RETURN a.id UNION MATCH (b:Disease) RETURN b.id",
        "MATCH p = shortestPath((a:Drug {id:'DB00331'})-[*..4]-(b:Disease)) RETURN p",
        "MATCH (n:Disease) RETURN n {.id, .name} AS d LIMIT 2",
        "MATCH (n:Drug) WHERE EXISTS { MATCH (n)-[:TREATS]->() } RETURN count(n)",
        "MATCH p=(a)-[* SHORTEST 1..3]-(b) RETURN p",
        "MATCH p=(a)-[:TREATS*1..3 (r, n | WHERE r.source = 'x')]-(b) RETURN p",
        "MATCH p=(a)-[r:TREATS*2..3 {source: 'hetionet'}]-(b) RETURN p",
        "MATCH p=(a)((x)-[:TREATS]->(y)){1,3}(b) RETURN p",
        "MATCH (n) RETURN (n.x + 1) * 2, (n.y) * 3, [x IN range(1, 3) | x * 2]",
        "MATCH (n:Disease) WHERE n.end = 1 AND n.case = 2 RETURN n.show",
        "RETURN " + "[" * 30 + "1" + "]" * 30 + " AS x",
    ],
)
def test_reads_pass(cypher: str) -> None:
    check_read_only(cypher, GuardLimits(max_hops=5))


@pytest.mark.parametrize(
    ("cypher", "message"),
    [
        ("CREATE (n:Disease {id: 'x'})", "CREATE"),
        ("MATCH (n) DETACH DELETE n", "DETACH"),
        ("MATCH (n) SET n.name = 'x'", "SET"),
        ("merge (n:Drug {id:'x'})", "MERGE"),
        ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LOAD"),
        ("LOAD FROM '/etc/passwd' RETURN *", "LOAD"),
        ("CALL dbms.security.createUser('x','y',false)", "not allowed"),
        ("CALL threads=1", "settings"),
        ("COPY Drug FROM 'x.csv'", "COPY"),
        ("MATCH (n) RETURN n; MATCH (m) DELETE m", "one statement"),
        ("MATCH (n) RETURN n; MATCH (m) RETURN m", "one statement"),
        ("MATCH p=(a)-[*]-(b) RETURN p", "upper bound"),
        ("MATCH p=(a)-[:TREATS*2..]-(b) RETURN p", "upper bound"),
        ("MATCH p=(a)-[*1..50]-(b) RETURN p", "limit is 5"),
        ("   ", "empty"),
        # the service-killing shapes and their families (issue 20)
        ("RETURN " + "[" * 1000 + "1" + "]" * 1000 + " AS x", "nested more than 32"),
        ("RETURN " + "(" * 3000 + "1" + ")" * 3000 + " AS x", "nested more than 32"),
        ("RETURN " + "{a: " * 40 + "1" + "}" * 40, "nested more than 32"),
        ("RETURN " + "CASE WHEN true THEN " * 24 + "1" + " END" * 24, "CASE expressions"),
        ("RETURN " + "1 + " * 6000 + "1", "characters"),
        ("RETURN [1, 2", "unclosed"),
        ("RETURN 1]", "unbalanced"),
        ("MATCH p=(a)-[:TREATS*7..7 (r, n | WHERE true)]-(b) RETURN p", "up to 7 hops"),
        ("MATCH p=(a)-[:TREATS* (r, n | WHERE true)]-(b) RETURN p", "upper bound"),
        ("MATCH p=(a)-[:TREATS*1..2 x]-(b) RETURN p", "cannot read the hop bound"),
        ("MATCH p=(a)-[*1..$n]-(b) RETURN p", "cannot read the hop bound"),
        ("MATCH p=(a)-[* TRAIL]-(b) RETURN p", "upper bound"),
        ("MATCH p=(a)-[*2*3]-(b) RETURN p", "more than one"),
        ("MATCH p=(a)((x)-[:TREATS]->(y)){1,9}(b) RETURN p", "up to 9 hops"),
        ("MATCH p=(a)((x)-[:TREATS]->(y)){2,}(b) RETURN p", "upper bound"),
        ("MATCH p=(a)(()-[]->())+(b) RETURN p", "no upper bound"),
        ("MATCH p=(a)(()-[]->())*(b) RETURN p", "no upper bound"),
        ("MATCH p=(a)-[:TREATS]->+(b) RETURN p", "no upper bound"),
        ("MATCH p=(a)-->{1,8}(b) RETURN p", "up to 8 hops"),
        ("MATCH (n) RETURN [(n)-[*]->(m) | m.id]", "upper bound"),
        ("MATCH (n) WHERE EXISTS { MATCH (n)-[*1..9]->() } RETURN n", "limit is 5"),
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
        ("SHOW TRANSACTIONS", "SHOW"),
    ],
)
def test_writes_files_settings_and_unbounded_paths_are_refused(cypher: str, message: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=message):
        check_read_only(cypher, GuardLimits(max_hops=5))


def test_dialect_rewrites_neo4j_functions_and_uses_trail_semantics() -> None:
    out = to_ladybug_dialect("MATCH p=(a)-[r:TREATS*1..2]->(b) RETURN type(r), relationships(p)")
    assert "label(r)" in out and "rels(p)" in out
    assert "*TRAIL 1..2" in out.replace(" TRAIL ", "TRAIL ")
    # strings are left alone, explicit semantics are kept
    assert to_ladybug_dialect("RETURN 'type(x)'") == "RETURN 'type(x)'"
    assert "SHORTEST" in to_ladybug_dialect("MATCH p=(a)-[* SHORTEST 1..3]-(b) RETURN p")
    assert "TRAIL" not in to_ladybug_dialect("MATCH p=(a)-[* SHORTEST 1..3]-(b) RETURN p")


def test_return_columns_follow_neo4j_naming() -> None:
    assert return_columns("MATCH (n) RETURN n.name, count(*) AS c ORDER BY c") == ["n.name", "c"]
    assert return_columns("MATCH (n) WITH n RETURN DISTINCT labels(n)") == ["labels(n)"]
    assert return_columns("MATCH (n) RETURN *") is None


def test_limits_come_from_settings() -> None:
    from medkg.settings import Settings

    limits = GuardLimits.from_settings(Settings(max_query_depth=8, max_path_hops=2))
    check_read_only("RETURN " + "[" * 8 + "1" + "]" * 8, limits)
    with pytest.raises(ReadOnlyViolation, match="more than 8"):
        check_read_only("RETURN " + "[" * 9 + "1" + "]" * 9, limits)
    with pytest.raises(ReadOnlyViolation, match="limit is 2"):
        check_read_only("MATCH (a)-[*1..3]-(b) RETURN b", limits)


def test_deeply_nested_parameters_are_refused() -> None:
    check_params({"ids": ["a", "b"], "m": {"k": [1, 2]}})
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ReadOnlyViolation, match="parameters nested"):
        check_params({"x": deep})


def test_the_guard_is_linear_on_hostile_text() -> None:
    """20,000 characters of nesting are refused without recursion (no RecursionError)."""
    for text in ("[" * 19_990, "(" * 19_990, "CASE WHEN 1 THEN " * 1_100):
        with pytest.raises(ReadOnlyViolation):
            check_read_only("RETURN " + text, GuardLimits())
