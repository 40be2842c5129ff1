"""A Viva Engage export of a few MB whose Files/ folder holds a 1 GB attachment (zeros, deflated):
the load must not unpack it, nor hold it in memory."""
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr("Users.csv", "id,email,name,state\n1,ann@acme.example,Ann,active\n2,bob@acme.example,Bob,active\n")
    zf.writestr("Groups.csv", "id,name,private\n10,All,false\n")
    zf.writestr("Messages.csv", "id,replied_to_id,thread_id,group_id,sender_id,created_at,body\n"
                                "100,,100,10,1,2026-01-05T10:00:00Z,hello\n101,100,100,10,2,2026-01-06T10:00:00Z,hi\n")
    info = zipfile.ZipInfo("Files/attachment.bin", date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as dst:
        block = b"\0" * (1 << 24)
        for _ in range(64):
            dst.write(block)
