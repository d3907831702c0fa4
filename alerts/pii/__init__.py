"""The detectors behind :func:`alerts.masking.mask_pii`, one module per family.

``normalise`` turns look-alike characters into ASCII one for one (so positions
still point into the original text), ``numbers`` classifies every digit run
(phones, ID cards, bank cards, QQ numbers), ``handles`` finds e-mail addresses,
WeChat ids, passports and licence plates, ``addresses`` Chinese and English
street addresses; ``spans`` collects what they found and writes the masks.
"""
