"""Writes the ZIP exports of this folder (python _build.py): small Viva Engage network data
exports, each attacking one thing (cases.json says what, and what must come of it)."""

import zipfile
from pathlib import Path

HERE = Path(__file__).parent
USERS = "id,name,email,job_title,location,department,api_url,joined_at,deleted_at,suspended_at,guid,state\r\n"
GROUPS = "id,name,description,created_at,updated_at,deleted,external,private\r\n"
MESSAGES = ("id,replied_to_id,thread_id,conversation_id,group_id,group_name,in_private_conversation,"
            "sender_id,sender_type,sender_email,body,created_at,deleted_at,message_type\r\n")
ALICE = "1,Alice Martin,alice@acme.com,CEO,Paris,,u,2024-01-01T08:00:00Z,,,g1,active\r\n"
BOB = "2,Bob Stone,bob@acme.com,,,,u,2024-01-01T08:00:00Z,,,g2,active\r\n"
GINA = "3,Gina Guest,gina@partner.org,,,,u,2024-01-02T08:00:00Z,,,g3,active\r\n"
SALES = "10,Sales,d,2024-01-01T00:00:00Z,,false,false,false\r\n"


def m(mid, sender, email, created, body="hello", replied="", thread=None, group="10", private="false", deleted=""):
    return (f"{mid},{replied},{thread or mid},{mid if private == 'true' else ''},{group},Sales,{private},{sender},"
            f"user,{email},\"{body}\",{created},{deleted},update\r\n")


OK = (m(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z", "hi [[user:2]]")
      + m(101, 2, "bob@acme.com", "2024-03-05T11:00:00Z", "thanks", replied="100", thread="100"))


def write(name, files, raw=None):
    with zipfile.ZipFile(HERE / name, "w") as zf:
        for member, text in files.items():
            # a fixed time: the same script writes the same bytes
            zf.writestr(zipfile.ZipInfo(member, date_time=(2024, 3, 8, 0, 0, 0)),
                        text if isinstance(text, bytes) else text.encode("utf-8"))
        for info, data in raw or []:
            zf.writestr(info, data)


def export(users=ALICE + BOB + GINA, groups=SALES, messages=OK, prefix=""):
    return {prefix + "Users.csv": USERS + users, prefix + "Groups.csv": GROUPS + groups,
            prefix + "Messages.csv": MESSAGES + messages}


write("no-messages.zip", {k: v for k, v in export().items() if k != "Messages.csv"})
write("missing-sender-id.zip", {**export(), "Messages.csv": "id,thread_id,created_at,body\r\n100,100,2024-03-05T10:00:00Z,x\r\n"})
write("users-without-email.zip", {**export(), "Users.csv": "id,name,mail\r\n1,Alice Martin,alice@acme.com\r\n"})
write("empty-messages.zip", {**export(), "Messages.csv": ""})
write("utf16-messages.zip", {**export(), "Messages.csv": (MESSAGES + OK).encode("utf-16")})
write("bad-dates.zip", export(messages=OK + m(102, 1, "alice@acme.com", "yesterday")
                              + m(103, 2, "bob@acme.com", "2024-13-45 10:00:00")
                              + m(104, 2, "bob@acme.com", "2024-02-30T10:00:00Z")))
write("offset-out-of-range.zip", export(messages=OK + m(102, 1, "alice@acme.com", "2024-03-05 14:02:11 +2500")
                                        + m(103, 1, "alice@acme.com", "2024-03-05 14:02:11 +0175")
                                        + m(104, 2, "bob@acme.com", "2024-03-05 14:02:11 -1300")))
write("implausible-dates.zip", export(messages=OK + m(102, 1, "alice@acme.com", "1970-01-01T00:00:00Z")
                                      + m(103, 2, "bob@acme.com", "1999-12-31 23:59:59 UTC")
                                      + m(104, 2, "bob@acme.com", "2099-06-01T10:00:00Z")))
write("offsets-and-excel-dates.zip", export(messages=m(100, 1, "alice@acme.com", "2024-03-05 14:02:11 +0100")
                                            + m(101, 2, "bob@acme.com", "3/5/2024 2:02:11 PM", replied="100", thread="100")
                                            + m(102, 3, "gina@partner.org", "2024-03-05T14:02:11-05:30")
                                            + m(103, 3, "gina@partner.org", "2024/03/05 14:02:11 +0000")
                                            + m(104, 1, "alice@acme.com", "12/31/2024 23:59")))
write("unreadable-booleans.zip", export(groups=SALES + "11,Secret,d,2024-01-01T00:00:00Z,,false,false,yes\r\n",
                                        messages=OK + m(102, 1, "alice@acme.com", "2024-03-06T10:00:00Z", private="maybe")
                                        + m(103, 2, "bob@acme.com", "2024-03-06T11:00:00Z", group="11")))
write("sender-unknown-everywhere.zip", export(messages=OK + m(102, 77, "", "2024-03-06T10:00:00Z")
                                              + m(103, 78, "zoe@acme.com", "2024-03-06T11:00:00Z")))
write("folder-and-file-of-one-name.zip", export(),
      raw=[(zipfile.ZipInfo("Messages.csv/notes.txt", date_time=(2024, 3, 8, 0, 0, 0)), b"x")])
write("cr-inside-quoted-body.zip", export(messages=OK + m(102, 1, "alice@acme.com", "2024-03-06T10:00:00Z",
                                                          "line one\rline two\r\nline three [[user:3]]")))
write("duplicate-ids.zip", export(messages=OK + m(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z", "hi [[user:2]]")
                                  + m(102, 2, "bob@acme.com", "2024-03-06T10:00:00Z")
                                  + m(102, 3, "gina@partner.org", "2024-03-06T10:30:00Z")))
write("message-in-unknown-group.zip", export(messages=OK + m(102, 1, "alice@acme.com", "2024-03-06T10:00:00Z", group="99")))
write("too-many-fields.zip", export(messages=OK + "102,,102,,10,Sales,false,1,user,alice@acme.com,x,y,2024-03-06T10:00:00Z,,update\r\n"))
# a daily export (since=) after full.zip: nobody listed, senders and mentions known from full.zip
write("full.zip", export())
write("daily-lists-nobody.zip", export(users="", groups="",
                                       messages=m(200, 2, "bob@acme.com", "2024-10-05T10:00:00Z", "see [[user:1]] [[user:3]]")
                                       + m(201, 1, "alice@acme.com", "2024-10-05T11:00:00Z", replied="200", thread="200")))
write("daily-deletes-a-message.zip", export(users="", groups="",
                                            messages=m(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z", "hi [[user:2]]",
                                                       deleted="2024-03-07T09:00:00Z")))
write("two-networks.zip", {**export(prefix="Contoso/"),
                           **export(users="21,Hugo,hugo@partner.org,,,,u,2024-01-01T08:00:00Z,,,g,active\r\n"
                                          "23,Alice Martin,alice@acme.com,,,,u,2024-01-01T08:00:00Z,,,g,active\r\n",
                                    groups="30,Joint,d,2024-01-01T00:00:00Z,,false,true,false\r\n",
                                    messages=m(300, 21, "hugo@partner.org", "2024-03-06T10:00:00Z", group="30")
                                    + m(301, 23, "alice@acme.com", "2024-03-06T11:00:00Z", replied="300",
                                        thread="300", group="30"),
                                    prefix="Partners/")})
