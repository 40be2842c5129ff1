"""Message bodies: short, plausible workplace sentences, some on several lines, some with commas,
quotes and non-ASCII characters, so that every reader of the exports meets the hard cases."""

from __future__ import annotations

POSTS = (
    "Great turnout at this morning's team meeting, thanks everyone!",
    "Reminder: the quarterly review deck is due on Friday.",
    "Has anyone already used the new expense tool? Any tips before I start?",
    "Welcome to our new colleagues who joined this week 👋",
    "Sharing the slides from yesterday's session, feedback welcome.",
    "We just closed the biggest deal of the quarter. Huge thanks to the whole team!",
    "Quick poll: \"hybrid Fridays\" – yes or no?",
    "Our site passed the safety audit with zero findings. Well done all.",
    "Looking for volunteers for the charity run on the 14th, who is in?",
    "New process for purchase orders above 5,000 € starts next month.",
    "Lessons learned from the last release:\n\n1. test earlier\n2. talk to support before go-live\n3. celebrate more",
    "Does anyone know who owns the customer onboarding checklist?",
    "Photos from the summer party are in the shared folder 🎉",
    "The canteen menu changes on Monday; vegetarian options every day.",
    "Proud of the team: customer satisfaction is up 6 points this quarter.",
    "Agenda for Thursday:\n- results of the pilot\n- next steps\n- questions",
    "We are hiring! Referrals for the open positions are very welcome.",
    "Thank you to the night shift for keeping everything running during the storm.",
    "Draft of the new onboarding guide, comments by end of week please.",
    "Café et croissants au 3e étage ce matin, venez nombreux !",
    "Short survey about our internal tools (3 minutes), your answers help a lot.",
    "Heads-up: the VPN will be down on Saturday from 22:00 to 23:00.",
    "Who has experience with the new scheduling app in the stores?",
    "Monthly numbers are out: sales +4%, returns -2%, stock accuracy 98.7%.",
    "Idea: a monthly \"ask me anything\" with each department head. Thoughts?",
    "Our sustainability week starts Monday, programme attached.",
    "Can someone explain the difference between the two travel policies?",
    "Kudos to the warehouse team for a record week, 12,000 parcels shipped!",
    "Please update your emergency contact details in the HR portal.",
    "Notes from the customer visit in Lyon:\n\nThey like the new packaging, they want faster delivery, and they asked about the loyalty programme.",
)

REPLIES = (
    "Thanks, very useful!",
    "+1, same here.",
    "Count me in.",
    "I can help with that, let's talk tomorrow.",
    "Great news, congratulations to everyone involved!",
    "Good question. I think the answer is in the intranet FAQ.",
    "We had the same issue last month; the fix was to clear the cache.",
    "Agreed. Can we add it to the agenda?",
    "Thank you for sharing.",
    "Well deserved 👏",
    "Not yet, but I'd like to try it.",
    "Interesting, do you have the numbers per site?",
    "I'll pass it on to my team.",
    "Merci pour le partage !",
    "Yes please, and maybe a short recording for those who cannot attend?",
    "Done, I updated the document.",
    "Could you share the link again? It does not open for me.",
    "That's a \"must read\" for every new joiner.",
    "Let's sync offline.",
    "Happy to review, send it over.",
)

TITLES = (
    "Quarterly town hall: what we heard",
    "Our priorities for the year",
    "Welcome to our new network",
    "Results of the engagement survey",
    "Safety first: a message from the leadership team",
    "Thank you for an extraordinary year",
)

SLACK_MESSAGES = (
    "morning all",
    "anyone seen the build failing on main?",
    "PR is up for review, small one",
    "deployed to staging, please test when you can",
    "looks good to me :+1:",
    "can we move the standup to 10:15 today?",
    "the dashboard is slow again, looking into it",
    "ticket created, will pick it up after lunch",
    "thanks for the quick fix!",
    "does anyone have the link to the design spec?",
    "lunch? :fork_and_knife:",
    "incident resolved, postmortem tomorrow",
    "new laptop arrived, setting it up",
    "reminder: retro at 4pm",
    "I pushed a fix, can you retry?",
    "the release notes are in the wiki",
    "we should document this somewhere",
    "working from the Lyon office today",
    "who owns the billing service these days?",
    "sprint goal met :tada:",
)

SLACK_REPLIES = (
    "on it",
    "thanks!",
    "same here",
    "fixed now",
    "I'll take a look",
    "+1",
    "good catch",
    "done :white_check_mark:",
    "makes sense",
    "let's discuss in the standup",
)

FILE_TITLES = (
    ("roadmap.pdf", "Roadmap", "application/pdf", "pdf", "PDF"),
    ("meeting-notes.docx", "Meeting notes", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "docx", "Word Document"),
    ("metrics.xlsx", "Metrics", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
     "Excel Spreadsheet"),
    ("architecture.png", "Architecture", "image/png", "png", "PNG"),
    ("query.sql", "Query", "text/plain", "sql", "SQL"),
)

LINKS = (
    ("https://intranet.example-corp.com/news/town-hall", "Town hall replay", "The recording of the last town hall"),
    ("https://intranet.example-corp.com/hr/benefits", "Benefits 2026", "Everything about this year's benefits"),
    ("https://www.example.org/report/future-of-work", "The future of work", "A report on hybrid work"),
    ("https://intranet.example-corp.com/it/security-tips", "Ten security tips", "Phishing, passwords and more"),
)

EMOJI = ("+1", "tada", "eyes", "white_check_mark", "raised_hands", "heart", "joy", "rocket", "pray", "100")
