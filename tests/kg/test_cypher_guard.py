import pytest

from medkg.kg.store.base import ReadOnlyViolation
from medkg.kg.store.cypher_guard import check_read_only, return_columns, to_ladybug_dialect


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
    ],
)
def test_reads_pass(cypher: str) -> None:
    check_read_only(cypher, max_hops=5)


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
    ],
)
def test_writes_files_settings_and_unbounded_paths_are_refused(cypher: str, message: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=message):
        check_read_only(cypher, max_hops=5)


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
