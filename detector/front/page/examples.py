"""The example ads of the page's buttons: written for this project, not taken from data.

Ad text, so never translated: the buttons' labels are in the catalogues (``ui.ex_*``).
"""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "ex_en_scam": "Hiring now!! Customer service reps for an online company in Cambodia 🇰🇭\n"
    "Salary $1,200/month + bonus\nFree flight, free visa, free accommodation and meals\n"
    "No experience needed, basic English and typing only\nLeave within 7 days\n"
    "WhatsApp only: +62 812-0000-2001",
    "ex_id_scam": "🔥LOWONGAN KERJA LUAR NEGRI🔥\nPosisi: ADMIN / CS ONLINE\n"
    "Lokasi: Kamboja (Phnom Penh)\nGaji 15jt - 20jt/bln + bonus\n✅ Tiket pesawat ditanggung\n"
    "✅ Mes + makan gratis\n✅ Tanpa pengalaman, yg penting bisa ketik cepat\n"
    "Syarat: usia 18-35, bisa komputer dasar\nBerangkat pake visa turis dulu, nanti diurus di "
    "sana\nMinat hub WA 0812 3456 7801 (Bu Rina)",
    "ex_en_ok": "Riverside Family Dental – Dental Receptionist (full-time)\n1420 Oak Street, "
    "Springfield\nGreet patients, schedule appointments in our practice software, verify "
    "insurance and handle billing questions. 1+ year front-desk experience preferred.\n"
    "$18–$21/hr, health insurance, 401(k) match, paid holidays.\nApply at "
    "riversidedental.example.com/careers. No phone calls, please.",
    "ex_id_ok": "PT Mitra Tenaga Nusantara (P3MI berizin, cek di SISKOP2MI) membuka lowongan "
    "Operator Pabrik Elektronik di Penang, Malaysia.\nGaji RM 1.700 + lembur sesuai "
    "undang-undang Malaysia. Kontrak 2 tahun ditandatangani sebelum berangkat. Paspor dipegang "
    "pekerja sendiri. Biaya visa kerja, tiket, dan levy ditanggung majikan.\nPendaftaran: "
    "kantor cabang Jl. Pahlawan No. 9 Kendal atau melalui Disnaker setempat.",
}
