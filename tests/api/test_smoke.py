async def test_jane_lists_her_team_items(signed_in):
    jane = await signed_in("jane@example.com")
    data = await jane.data("{ workItems(filter: {myTeams: true}) { edges { node { ref team { name } } } } }")
    teams = {e["node"]["team"]["name"] for e in data["workItems"]["edges"]}
    assert teams == {"Team A"}
