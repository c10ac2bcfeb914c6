from chaincode_harness import OEM, T1


def test_smoke(world):
    u = world.commission(T1, "S1", "S2")
    world.h.submit(world.station(T1), "RecordScan", world.scan(T1, u[0]))
    world.ship(T1, OEM, "SH1", u)
    world.receive(T1, OEM, "SH1", u)
    p = world.h.evaluate(world.admin(OEM), "GetPart", u[0])
    print(p)
    assert p["part"]["owner_msp"] == OEM
