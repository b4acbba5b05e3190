"""OpenLedger trainer: QLoRA/LoRA/P-Tuning/full fine-tuning with a proof of training (DESIGN §7)."""
